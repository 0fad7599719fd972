/*
 * ELF64 as keyhole reads it: just the file header and program headers of a
 * static x86-64 executable (System V gABI, "ELF-64 Object File Format").
 * Both readers of ELF files, keyhole's guest loader and the UEFI loader,
 * check them with lib/elf.c first.
 */
#ifndef KEYHOLE_FMT_ELF_H
#define KEYHOLE_FMT_ELF_H

#include <keyhole/types.h>

#define ELF_MAGIC 0x464c457fu /* "\x7fELF" read as a little-endian u32 */
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1

struct elf64_ehdr {
	u32 e_magic;
	u8 e_class, e_data, e_version_ident, e_osabi;
	u8 e_pad[8];
	u16 e_type, e_machine;
	u32 e_version;
	u64 e_entry, e_phoff, e_shoff;
	u32 e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
	u32 p_type, p_flags;
	u64 p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

STATIC_ASSERT(sizeof(struct elf64_ehdr) == 64, "ELF64 file header");
STATIC_ASSERT(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

/*
 * The checks every reader makes before it trusts the file: a 64-bit
 * little-endian x86-64 ET_EXEC whose program header table lies inside the
 * file.  NULL if sound, else what is wrong, in words for the user.
 */
const char *elf64_check_exec(const void *file, u64 len);
/* A PT_LOAD segment: inside the file, file size within memory size, `addr` + memory size not wrapping. */
const char *elf64_check_segment(const struct elf64_phdr *p, u64 len, u64 addr);
/* The program header table of a file elf64_check_exec() accepted. */
static inline const struct elf64_phdr *elf64_phdrs(const void *file)
{
	return (const struct elf64_phdr *)((const u8 *)file + ((const struct elf64_ehdr *)file)->e_phoff);
}

#endif
