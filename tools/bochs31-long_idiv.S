/*
 * A correct long_idiv() for Debian's Bochs 3.1 (bochs 3.1+dfsg-1), which
 * tools/bochs31.sh setup writes over the broken one in bochs-bin
 * (docs/linux-bochs31.md has the evidence).
 *
 * Bochs's bochs/cpu/wide_int.cc copies the dividend into a Bit128s temp and
 * hands it to long_div() as a Bit128u *; in Debian's build the store of
 * temp.lo (and the negation of a negative dividend) is gone, so long_div()
 * divides RDX:<stale stack word>, and every IDIV r/m64 (IDIV_RAXEqR) returns
 * garbage.  This is the function as the C means it:
 *
 *   void long_idiv(Bit128s *quotient, Bit64s *remainder,
 *                  const Bit128s *dividend, Bit64s divisor)
 *   rdi = quotient, rsi = remainder, rdx = dividend, rcx = divisor (never 0:
 *   IDIV_RAXEqR raises #DE first)
 *
 * |dividend| / |divisor| through long_div(), then the quotient is negated
 * when the signs differ and the remainder takes the dividend's sign (IDIV:
 * SDM Vol. 2A "IDIV": truncation toward zero, remainder with the sign of
 * the dividend).  long_div is the address of Bochs's own long_div(), given
 * to ld with --defsym; the code must fit the old function's 144 bytes.
 */
	.text
	.globl	long_idiv
long_idiv:
	endbr64
	push	%r12
	push	%r13
	push	%rbx
	sub	$32, %rsp		/* 0(%rsp): temp {lo, hi}; %rsp 16-aligned at the call */
	mov	%rdi, %r12		/* quotient */
	mov	%rsi, %r13		/* remainder */
	mov	(%rdx), %rax		/* temp.lo */
	mov	8(%rdx), %rbx		/* dividend.hi: its sign bit is s1 */
	mov	%rbx, %r8		/* temp.hi */
	mov	%rbx, %r9
	xor	%rcx, %r9		/* sign bit: s1 ^ s2 */
	mov	%r9, 16(%rsp)
	test	%r8, %r8
	jns	1f
	neg	%rax			/* 128-bit negate: lo = -lo, hi = -hi - (lo != 0) */
	adc	$0, %r8
	neg	%r8
1:	mov	%rax, 0(%rsp)
	mov	%r8, 8(%rsp)
	mov	%rcx, %rax		/* |divisor| */
	neg	%rax
	cmovns	%rax, %rcx
	mov	%rsp, %rdx
	mov	%r12, %rdi
	mov	%r13, %rsi
	call	long_div
	cmpq	$0, 16(%rsp)
	jns	2f
	mov	0(%r12), %rax		/* negate the quotient */
	mov	8(%r12), %rdx
	neg	%rax
	adc	$0, %rdx
	neg	%rdx
	mov	%rax, 0(%r12)
	mov	%rdx, 8(%r12)
2:	test	%rbx, %rbx
	jns	3f
	negq	0(%r13)			/* the remainder has the dividend's sign */
3:	add	$32, %rsp
	pop	%rbx
	pop	%r13
	pop	%r12
	ret

	.section .note.GNU-stack,"",@progbits
