/*
 * Files on the volume BOOTX64.EFI was loaded from (the USB stick's EFI
 * system partition): the guest image and the options file.
 *
 * A file is read whole into pages of EfiLoaderData.  Its size comes from
 * seeking to the end (UEFI: position 0xFFFFFFFFFFFFFFFF is the end of the
 * file), which avoids the variable-length EFI_FILE_INFO.
 */
#include "boot/efi/loader.h"

#define SEEK_TO_END 0xffffffffffffffffULL

EFI_STATUS file_open_boot_volume(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE *root)
{
	static EFI_GUID fs_protocol = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_STATUS s;

	s = efi_bs->HandleProtocol(li->DeviceHandle, &fs_protocol, (void **)&fs);
	if (EFI_ERROR(s)) {
		con_error("the device BOOTX64.EFI came from has no file system (%s)", efi_status_name(s));
		return s;
	}
	s = fs->OpenVolume(fs, root);
	if (EFI_ERROR(s))
		con_error("cannot open the boot volume (%s)", efi_status_name(s));
	return s;
}

static void to_wide(CHAR16 *dst, const char *src)
{
	while ((*dst++ = (CHAR16)(u8)*src++) != 0)
		;
}

EFI_STATUS file_read(EFI_FILE_HANDLE root, const char *path, UINT64 max_len, UINT64 *pa, UINT64 *len)
{
	CHAR16 wpath[PATH_MAX_LEN + 1];
	EFI_FILE_HANDLE fh;
	UINT64 size = 0;
	UINTN got;
	EFI_STATUS s;

	to_wide(wpath, path);
	s = root->Open(root, &fh, wpath, EFI_FILE_MODE_READ, 0);
	if (s == EFI_NOT_FOUND)
		return s;
	if (EFI_ERROR(s)) {
		con_error("%s: cannot open it (%s)", path, efi_status_name(s));
		return s;
	}
	s = fh->SetPosition(fh, SEEK_TO_END);
	if (!EFI_ERROR(s))
		s = fh->GetPosition(fh, &size);
	if (!EFI_ERROR(s))
		s = fh->SetPosition(fh, 0);
	if (EFI_ERROR(s)) {
		con_error("%s: cannot find its size; is it a directory? (%s)", path, efi_status_name(s));
		goto out;
	}
	if (size == 0 || size > max_len) {
		con_error("%s: %lu bytes; want 1 to %lu", path, (unsigned long)size, (unsigned long)max_len);
		s = EFI_LOAD_ERROR;
		goto out;
	}
	s = alloc_pages(EfiLoaderData, size, EFI_PAGE_SIZE, path, pa);
	if (EFI_ERROR(s))
		goto out;
	got = size;
	s = fh->Read(fh, &got, (void *)(uintptr_t)*pa);
	if (!EFI_ERROR(s) && got != size)
		s = EFI_END_OF_FILE;
	if (EFI_ERROR(s))
		con_error("%s: read %lu of %lu bytes (%s)", path, (unsigned long)got, (unsigned long)size,
			  efi_status_name(s));
	*len = size;
out:
	fh->Close(fh);
	return s;
}
