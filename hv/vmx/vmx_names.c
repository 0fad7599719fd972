/*
 * Names for the numbers the CPU reports when something in VMX goes wrong or
 * exits: VMCS fields, basic exit reasons, VM-instruction errors.  A panic
 * that says "VMWRITE GUEST_CR4 failed: VM entry with invalid control
 * field(s)" is debugged in minutes; one that says "0x6804: 7" is not.
 *
 * The tables are generated from the X-macro lists in vmcs.h, so every
 * number there has exactly its name here.  Pure C: the unit tests link it.
 */
#include "hv/vmx/vmcs.h"

struct vmcs_field_desc {
	u32 encoding;
	const char *name;
};

#define VMCS_FIELD_DESC(name, enc) { (enc), #name },
static const struct vmcs_field_desc vmcs_field_descs[] = { VMCS_FIELDS(VMCS_FIELD_DESC) };
#undef VMCS_FIELD_DESC

/*
 * A 64-bit field also answers at its encoding + 1, as its upper half (for
 * 32-bit hosts).  The names for those are generated for every field and
 * only looked up for 64-bit ones.
 */
#define VMCS_FIELD_HIGH_DESC(name, enc) { (enc) | VMCS_FIELD_HIGH, #name "_HIGH" },
static const struct vmcs_field_desc vmcs_field_high_descs[] = { VMCS_FIELDS(VMCS_FIELD_HIGH_DESC) };
#undef VMCS_FIELD_HIGH_DESC

const char *vmcs_field_name(u32 field)
{
	bool high = vmcs_field_width(field) == VMCS_FIELD_WIDTH_64 && (field & VMCS_FIELD_HIGH);
	const struct vmcs_field_desc *descs = high ? vmcs_field_high_descs : vmcs_field_descs;
	size_t n = high ? ARRAY_SIZE(vmcs_field_high_descs) : ARRAY_SIZE(vmcs_field_descs);

	for (size_t i = 0; i < n; i++)
		if (descs[i].encoding == field)
			return descs[i].name;
	return NULL;
}

#define EXIT_REASON_NAME(name, nr) [nr] = #name,
static const char *const exit_reason_names[] = { VMX_EXIT_REASONS(EXIT_REASON_NAME) };
#undef EXIT_REASON_NAME

const char *vmx_exit_reason_name(u32 reason)
{
	u32 basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	if (basic < ARRAY_SIZE(exit_reason_names) && exit_reason_names[basic])
		return exit_reason_names[basic];
	return "unknown";
}

#define INSN_ERROR_TEXT(name, nr, text) [nr] = text,
static const char *const insn_error_texts[] = { VMX_INSN_ERRORS(INSN_ERROR_TEXT) };
#undef INSN_ERROR_TEXT

const char *vmx_insn_error_name(u32 error)
{
	if (error < ARRAY_SIZE(insn_error_texts) && insn_error_texts[error])
		return insn_error_texts[error];
	return "unknown VM-instruction error";
}
