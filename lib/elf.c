/* The soundness checks of an ELF64 x86-64 executable (see fmt/elf.h), shared by both of keyhole's ELF readers. */
#include <fmt/elf.h>

const char *elf64_check_exec(const void *file, u64 len)
{
	const struct elf64_ehdr *h = file;

	if (len < sizeof(*h))
		return "shorter than an ELF header";
	if (h->e_magic != ELF_MAGIC)
		return "not an ELF file (bad magic)";
	if (h->e_class != ELFCLASS64)
		return "not a 64-bit ELF file";
	if (h->e_data != ELFDATA2LSB)
		return "not little-endian";
	if (h->e_type != ET_EXEC)
		return "not an executable (ET_EXEC); build it static, not PIE";
	if (h->e_machine != EM_X86_64)
		return "not an x86-64 executable";
	if (h->e_phentsize != sizeof(struct elf64_phdr))
		return "unexpected program header size";
	if (h->e_phnum == 0)
		return "no program headers";
	if (h->e_phoff > len || (u64)h->e_phnum * sizeof(struct elf64_phdr) > len - h->e_phoff)
		return "program headers lie beyond the end of the file";
	return NULL;
}

const char *elf64_check_segment(const struct elf64_phdr *p, u64 len, u64 addr)
{
	if (p->p_filesz > p->p_memsz)
		return "a segment's file size exceeds its memory size";
	if (p->p_offset > len || p->p_filesz > len - p->p_offset)
		return "a segment lies beyond the end of the file";
	if (addr + p->p_memsz < addr)
		return "a segment's address range wraps around";
	return NULL;
}
