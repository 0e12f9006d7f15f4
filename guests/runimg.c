/* runimg - the loader guest: runs a program image from emulated RAM, as
 * Linux's binfmt_elf and a static-pie's self-relocation do between them.
 *
 *   vmrun [OPTIONS] -- guests/runimg [-v] IMAGE [ARGS...]
 *
 * It reads IMAGE's ELF header and program headers, maps each PT_LOAD
 * segment into the guest address space from IMAGE's file with vm_mmap
 * (MAP_PRIVATE, the segment's own protection, PROT_EXEC honoured), zeroes
 * the tail of the last file page of a segment with a bss and maps the
 * rest of the bss anonymous, applies the image's R_X86_64_RELATIVE
 * relocations (writes to private file pages: copies on write), makes
 * PT_GNU_RELRO read-only, copies argv onto the guest's [stack] (just below
 * 0xC0000000, in emulated RAM) and jumps to the entry point on that stack.
 * From then on the image runs from pages demand-paged from its file
 * through the page cache: its first instruction fetch in each text page is
 * a fault with the instruction-fetch bit (0x10) in its error code, a major
 * fault when the page is read from the file. The image's exit status is
 * runimg's (and vmrun's).
 *
 * Supported, and all that is (include/vm/image.h has the image's side):
 *
 *   - x86-64 ELF ET_DYN images without PT_INTERP, PT_TLS, DT_NEEDED or
 *     text relocations: freestanding -static-pie builds (guests/Makefile,
 *     guests/image/); an ET_EXEC, a dynamically linked program or one
 *     that uses TLS is refused with a message saying which;
 *   - relocations R_X86_64_RELATIVE (and R_X86_64_NONE) in DT_RELA or
 *     DT_JMPREL; any other type, DT_REL and DT_RELR are refused by name;
 *   - one load address, ELF_ET_BASE (0x08048000) for the image's lowest
 *     page, and the whole image below the heap (0x09000000);
 *   - no system calls from the image: it asks the loader through the
 *     callbacks of struct vm_image_ops, which switch back to the loader's
 *     host stack before they call into libvm (a kernel path never runs on
 *     a stack in the window, where a fault would need the very locks it
 *     holds).
 *
 * Exit status: the image's; 126 when the image cannot be run (the reason
 * on stderr), 127 when it cannot be opened, 2 for a bad command line.
 *
 * A PROT_EXEC mapping needs the machine's RAM file on a mount that allows
 * exec: the kernel refuses it with EPERM on a noexec one, and runimg says
 * so and what to do.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <vm/guest.h>
#include <vm/image.h>
#include <vm/ram.h>
#include <vm/mm.h>

#ifndef DT_RELR
#define DT_RELR		36
#endif

#define MAX_PHDRS	64
#define ARG_MAX_BYTES	(64u << 10)	/* argv strings and pointers, on a 128 KiB stack */
#define PAGE_DOWN(x)	((x) & ~(uint64_t)(PAGE_SIZE - 1))
#define PAGE_UP(x)	PAGE_DOWN((x) + PAGE_SIZE - 1)

static const char *prog = "runimg";
static int verbose;

struct image {
	const char *path;
	const char *name;		/* basename, for messages */
	int fd;
	uint64_t size;			/* of the file */
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t bias;			/* guest va = bias + p_vaddr */
	uint64_t lo, hi;		/* the guest va range of the PT_LOADs, pages */
	uint64_t mapped_hi;		/* end of what the segments mapped so far */
};

static void __attribute__((noreturn, format(printf, 2, 3))) refuse(const struct image *img,
								  const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, img->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(126);
}

/* ---- the headers -------------------------------------------------------- */

static void read_exact(const struct image *img, void *buf, size_t len, uint64_t off,
		       const char *what)
{
	ssize_t n;

	if (off > img->size || len > img->size - off)
		refuse(img, "truncated: the %s lies past the end of the file", what);
	n = pread(img->fd, buf, len, (off_t)off);
	if (n < 0)
		refuse(img, "cannot read the %s: %s", what, strerror(errno));
	if ((size_t)n != len)
		refuse(img, "short read of the %s", what);
}

static bool is_load(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz;
}

/* Check everything the mapping and the jump will rely on, and choose the
 * bias that puts the lowest page at ELF_ET_BASE. */
static void read_headers(struct image *img)
{
	Elf64_Ehdr *eh = &img->eh;
	int i, loads = 0;
	bool entry_ok = false;

	read_exact(img, eh, sizeof(*eh), 0, "ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		refuse(img, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		refuse(img, "not an x86-64 image (images are 64-bit code in a 32-bit guest "
			    "address space)");
	if (eh->e_type == ET_EXEC)
		refuse(img, "not position independent (ET_EXEC): build it with -static-pie "
			    "(guests/Makefile's image rule)");
	if (eh->e_type != ET_DYN)
		refuse(img, "not an executable (ELF type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
		refuse(img, "bad program headers (%u of %u bytes)", eh->e_phnum, eh->e_phentsize);
	read_exact(img, img->ph, (size_t)eh->e_phnum * sizeof(Elf64_Phdr), eh->e_phoff,
		   "program headers");

	img->lo = UINT64_MAX;
	img->hi = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (ph->p_type == PT_INTERP)
			refuse(img, "dynamically linked (it asks for a program interpreter): only "
				    "freestanding -static-pie images run here");
		if (ph->p_type == PT_TLS)
			refuse(img, "uses thread-local storage (PT_TLS), which images do not have");
		if (!is_load(ph))
			continue;
		loads++;
		if (ph->p_filesz > ph->p_memsz)
			refuse(img, "segment %d: file size %#lx above memory size %#lx", i,
			       (unsigned long)ph->p_filesz, (unsigned long)ph->p_memsz);
		if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
			refuse(img, "truncated: segment %d lies past the end of the file", i);
		if ((ph->p_vaddr - ph->p_offset) % PAGE_SIZE)
			refuse(img, "segment %d: address %#lx and file offset %#lx differ within "
				    "a page", i, (unsigned long)ph->p_vaddr,
			       (unsigned long)ph->p_offset);
		if (ph->p_vaddr >= TASK_SIZE || ph->p_memsz >= TASK_SIZE - ph->p_vaddr)
			refuse(img, "segment %d: address %#lx beyond a 32-bit address space", i,
			       (unsigned long)ph->p_vaddr);
		if (PAGE_DOWN(ph->p_vaddr) < img->lo)
			img->lo = PAGE_DOWN(ph->p_vaddr);
		if (PAGE_UP(ph->p_vaddr + ph->p_memsz) > img->hi)
			img->hi = PAGE_UP(ph->p_vaddr + ph->p_memsz);
		if ((ph->p_flags & PF_X) && eh->e_entry >= ph->p_vaddr &&
		    eh->e_entry < ph->p_vaddr + ph->p_memsz)
			entry_ok = true;
	}
	if (!loads)
		refuse(img, "nothing to load (no PT_LOAD segment)");
	if (!entry_ok)
		refuse(img, "the entry point %#lx is in no executable segment",
		       (unsigned long)eh->e_entry);
	if (img->hi - img->lo > DEFAULT_START_BRK - ELF_ET_BASE)
		refuse(img, "too big: %lu KiB from %#x would run into the heap at %#x",
		       (unsigned long)((img->hi - img->lo) >> 10), ELF_ET_BASE, DEFAULT_START_BRK);
	img->bias = ELF_ET_BASE - img->lo;	/* mod 2^64: lo may lie above the base */
	img->lo += img->bias;
	img->hi += img->bias;
	img->mapped_hi = img->lo;
}

/* Does [va, va + len) lie in one PT_LOAD (a writable one if write)? */
static bool in_image(const struct image *img, uint64_t va, uint64_t len, bool write)
{
	int i;

	for (i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (is_load(ph) && va >= ph->p_vaddr && len <= ph->p_memsz &&
		    va - ph->p_vaddr <= ph->p_memsz - len && (!write || (ph->p_flags & PF_W)))
			return true;
	}
	return false;
}

/* ---- mapping the segments ----------------------------------------------- */

static int seg_prot(const Elf64_Phdr *ph)
{
	return ((ph->p_flags & PF_R) ? PROT_READ : 0) | ((ph->p_flags & PF_W) ? PROT_WRITE : 0) |
	       ((ph->p_flags & PF_X) ? PROT_EXEC : 0);
}

static void show_map(const struct image *img, uint64_t start, uint64_t end, int prot,
		     const char *what, uint64_t off)
{
	if (!verbose)
		return;
	fprintf(stderr, "%s: %s: %08lx-%08lx %c%c%cp %s", prog, img->name, (unsigned long)start,
		(unsigned long)end, (prot & PROT_READ) ? 'r' : '-', (prot & PROT_WRITE) ? 'w' : '-',
		(prot & PROT_EXEC) ? 'x' : '-', what);
	if (!strcmp(what, "file"))
		fprintf(stderr, " @ %#lx", (unsigned long)off);
	fputc('\n', stderr);
}

/* A vm_mmap of the image failed with err: say why in the words a user
 * can act on. */
static void __attribute__((noreturn)) map_failed(const struct image *img, int seg,
						 uint64_t start, int prot, int err)
{
	const char *ram = getenv("VM_RAM");
	struct statvfs sv;

	if (err == EPERM && (prot & PROT_EXEC)) {
		bool noexec = ram && statvfs(ram, &sv) == 0 && (sv.f_flag & ST_NOEXEC);

		refuse(img, "cannot map its text executable: the machine's RAM file (%s) is on "
			    "%s, and the kernel maps no frame of it executable. Run vmrun "
			    "with its RAM file on a mount that allows exec (vmrun --ram-file PATH, "
			    "or mount -o remount,exec /dev/shm)",
		       ram ? ram : "unknown", noexec ? "a noexec mount" :
		       "a mount the kernel will not map executable (/dev/shm mounted noexec?)");
	}
	if (err == ENODEV)
		refuse(img, "the kernel cannot map files (vm_mmap: %s)", strerror(err));
	refuse(img, "cannot map segment %d at %#lx: %s", seg, (unsigned long)start, strerror(err));
}

static void map_anon(const struct image *img, int seg, uint64_t start, uint64_t end, int prot)
{
	void *p;

	p = vm_mmap(vm_ptr(start), end - start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    -1, 0);
	if (p == MAP_FAILED)
		map_failed(img, seg, start, prot, errno);
	show_map(img, start, end, prot, "bss", 0);
}

/* Zero [addr, end of its page): the file page under the start of a bss
 * holds whatever follows p_filesz in the file (Linux's padzero). A write
 * to a private file page: the page is copied first. */
static void padzero(const struct image *img, uint64_t addr, int prot)
{
	uint64_t page = PAGE_DOWN(addr);

	if (!(prot & PROT_WRITE) && vm_mprotect(vm_ptr(page), PAGE_SIZE, prot | PROT_WRITE) < 0)
		refuse(img, "cannot zero the bss at %#lx: %s", (unsigned long)addr, strerror(errno));
	memset(vm_ptr(addr), 0, PAGE_SIZE - (addr - page));
	if (!(prot & PROT_WRITE) && vm_mprotect(vm_ptr(page), PAGE_SIZE, prot) < 0)
		refuse(img, "cannot protect the bss at %#lx: %s", (unsigned long)addr,
		       strerror(errno));
}

/*
 * One PT_LOAD, as binfmt_elf's elf_map and padzero lay it out. hello's
 * data segment: 0x144 bytes of file at offset 0x2ec0, 0x150 of memory
 * at 0x3ec0, bias 0x08048000:
 *
 *   0x0804b000      0x0804bec0      0x0804c000  0x0804c004    0x0804d000
 *   |               |  file part of the segment  |            |
 *   |  file page @ 0x2000           |  file page @ 0x3000     |
 *                                                |<- padzero ->|
 *                                                (bss to 0x0804c010, then
 *                                                 zeroes, not the file's bytes)
 *
 * The file part is one MAP_PRIVATE mapping of the pages that hold it;
 * a bss reaching past its last page gets an anonymous mapping of its
 * own (sieve's 8 MiB does).
 */
static void map_segment(struct image *img, int seg)
{
	const Elf64_Phdr *ph = &img->ph[seg];
	uint64_t start = PAGE_DOWN(img->bias + ph->p_vaddr);
	uint64_t fend = img->bias + ph->p_vaddr + ph->p_filesz;
	uint64_t mend = PAGE_UP(img->bias + ph->p_vaddr + ph->p_memsz);
	uint64_t anon = PAGE_UP(fend);
	int prot = seg_prot(ph);
	void *p;

	if (ph->p_filesz) {
		p = vm_mmap(vm_ptr(start), PAGE_UP(fend) - start, prot, MAP_PRIVATE | MAP_FIXED,
			    img->fd, (off_t)PAGE_DOWN(ph->p_offset));
		if (p == MAP_FAILED)
			map_failed(img, seg, start, prot, errno);
		show_map(img, start, PAGE_UP(fend), prot, "file", PAGE_DOWN(ph->p_offset));
		if (ph->p_memsz > ph->p_filesz && (fend & (PAGE_SIZE - 1)))
			padzero(img, fend, prot);
	} else if (start >= img->mapped_hi) {
		anon = start;		/* a bss alone on its pages */
	} else if (fend & (PAGE_SIZE - 1)) {
		padzero(img, fend, prot);	/* its first page is the previous segment's */
	}
	if (mend > anon)
		map_anon(img, seg, anon, mend, prot);
	if (mend > img->mapped_hi)
		img->mapped_hi = mend;
}

/* ---- relocation --------------------------------------------------------- */

static const char *reloc_name(uint32_t type)
{
	static const char *const names[] = {
		[R_X86_64_NONE] = "R_X86_64_NONE",
		[R_X86_64_64] = "R_X86_64_64",
		[R_X86_64_PC32] = "R_X86_64_PC32",
		[R_X86_64_GOT32] = "R_X86_64_GOT32",
		[R_X86_64_PLT32] = "R_X86_64_PLT32",
		[R_X86_64_COPY] = "R_X86_64_COPY",
		[R_X86_64_GLOB_DAT] = "R_X86_64_GLOB_DAT",
		[R_X86_64_JUMP_SLOT] = "R_X86_64_JUMP_SLOT",
		[R_X86_64_RELATIVE] = "R_X86_64_RELATIVE",
		[R_X86_64_GOTPCREL] = "R_X86_64_GOTPCREL",
		[R_X86_64_32] = "R_X86_64_32",
		[R_X86_64_32S] = "R_X86_64_32S",
		[R_X86_64_DTPMOD64] = "R_X86_64_DTPMOD64",
		[R_X86_64_DTPOFF64] = "R_X86_64_DTPOFF64",
		[R_X86_64_TPOFF64] = "R_X86_64_TPOFF64",
		[R_X86_64_IRELATIVE] = "R_X86_64_IRELATIVE",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

/* Apply one table of Elf64_Rela, read from the image as mapped (its
 * pages fault in from the file like any other). Returns how many. */
static unsigned apply_rela(const struct image *img, uint64_t table, uint64_t size, uint64_t ent)
{
	const Elf64_Rela *r;
	uint64_t i, n;

	if (!size)
		return 0;
	if (ent != sizeof(Elf64_Rela))
		refuse(img, "relocation entries of %lu bytes, not %zu", (unsigned long)ent,
		       sizeof(Elf64_Rela));
	if (size % ent || !in_image(img, table, size, false))
		refuse(img, "the relocation table at %#lx (%lu bytes) is not in the image",
		       (unsigned long)table, (unsigned long)size);
	r = vm_ptr(img->bias + table);
	n = size / ent;
	for (i = 0; i < n; i++) {
		uint32_t type = ELF64_R_TYPE(r[i].r_info);
		uint64_t *where;

		if (type == R_X86_64_NONE)
			continue;
		if (type != R_X86_64_RELATIVE)
			refuse(img, "relocation %s (type %u) at %#lx: only R_X86_64_RELATIVE is "
				    "supported (no IFUNCs, no symbol references)",
			       reloc_name(type), type, (unsigned long)r[i].r_offset);
		if (!in_image(img, r[i].r_offset, sizeof(*where), true))
			refuse(img, "relocation at %#lx outside the image's writable segments "
				    "(text relocations are not supported)",
			       (unsigned long)r[i].r_offset);
		/* The image runs at its window address: a pointer in it is the
		 * host address of guest va bias + addend. */
		where = vm_ptr(img->bias + r[i].r_offset);
		*where = (uint64_t)(uintptr_t)vm_ptr(img->bias + (uint64_t)r[i].r_addend);
	}
	return (unsigned)n;
}

/* Read PT_DYNAMIC from the mapped image, refuse what needs more than
 * relative relocations, and apply those. Returns how many. */
static unsigned relocate(const struct image *img)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);
	uint64_t jmprel = 0, pltrelsz = 0, pltrel = DT_RELA;
	const Elf64_Phdr *dynph = NULL;
	const Elf64_Dyn *d;
	uint64_t i, n;
	int k;

	for (k = 0; k < img->eh.e_phnum; k++)
		if (img->ph[k].p_type == PT_DYNAMIC)
			dynph = &img->ph[k];
	if (!dynph)
		return 0;
	if (!in_image(img, dynph->p_vaddr, dynph->p_memsz, false))
		refuse(img, "PT_DYNAMIC is not in a loaded segment");
	d = vm_ptr(img->bias + dynph->p_vaddr);
	n = dynph->p_memsz / sizeof(*d);
	for (i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		uint64_t v = d[i].d_un.d_val;

		switch (d[i].d_tag) {
		case DT_RELA:     rela = v; break;
		case DT_RELASZ:   relasz = v; break;
		case DT_RELAENT:  relaent = v; break;
		case DT_JMPREL:   jmprel = v; break;
		case DT_PLTRELSZ: pltrelsz = v; break;
		case DT_PLTREL:   pltrel = v; break;
		case DT_NEEDED:
			refuse(img, "needs a shared library (DT_NEEDED): only freestanding "
				    "-static-pie images run here");
		case DT_REL:
		case DT_RELSZ:
			refuse(img, "has REL relocations (DT_REL): only RELA is supported");
		case DT_RELR:
			refuse(img, "has packed relative relocations (DT_RELR): link it without "
				    "-z pack-relative-relocs");
		case DT_TEXTREL:
			refuse(img, "has text relocations (DT_TEXTREL): build it with -fPIE");
		case DT_FLAGS:
			if (v & DF_TEXTREL)
				refuse(img, "has text relocations (DF_TEXTREL): build it with -fPIE");
			break;
		}
	}
	if (pltrelsz && pltrel != DT_RELA)
		refuse(img, "has REL relocations in DT_JMPREL: only RELA is supported");
	return apply_rela(img, rela, relasz, relaent) + apply_rela(img, jmprel, pltrelsz, relaent);
}

/* PT_GNU_RELRO: read-only once relocated, its ends rounded down to pages
 * as ld.so rounds them. */
static void protect_relro(const struct image *img)
{
	uint64_t start, end;
	int k;

	for (k = 0; k < img->eh.e_phnum; k++) {
		const Elf64_Phdr *ph = &img->ph[k];

		if (ph->p_type != PT_GNU_RELRO)
			continue;
		start = PAGE_DOWN(img->bias + ph->p_vaddr);
		end = PAGE_DOWN(img->bias + ph->p_vaddr + ph->p_memsz);
		if (end > start && vm_mprotect(vm_ptr(start), end - start, PROT_READ) < 0)
			refuse(img, "cannot make RELRO read-only: %s", strerror(errno));
		if (end > start)
			show_map(img, start, end, PROT_READ, "relro", 0);
	}
}

/* ---- the callbacks ------------------------------------------------------ */

/*
 * The image calls these on its own stack, in the window. Each stub below
 * switches to the loader's host stack (saved by image_call) before it
 * calls the C function, and back after: a libvm call blocks signals and
 * takes the mm lock, and a fault on a stack page in the window while it
 * holds them could not be served. The image is one thread and the stubs
 * do not nest, so one saved stack pointer does.
 *
 *   host stack:  ... main ... image_call's frame | <- host_sp: callbacks run below here
 *   image stack: argv strings, ops, argv[], then the image's frames
 */
uint64_t runimg_host_sp;

int image_call(vm_image_entry_t entry, int argc, char **argv, const struct vm_image_ops *ops,
	       void *sp);

__asm__(
	".text\n"
	".globl image_call\n"
	".type image_call, @function\n"
	"image_call:\n"			/* rdi entry, esi argc, rdx argv, rcx ops, r8 sp */
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	sub $8, %rsp\n"		/* 7 pushes with the return address: aligned */
	"	mov %rsp, runimg_host_sp(%rip)\n"
	"	mov %r8, %rsp\n"
	"	mov %rdi, %rax\n"
	"	mov %esi, %edi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	xor %ebp, %ebp\n"	/* the outermost frame, for a backtrace */
	"	call *%rax\n"
	"	mov runimg_host_sp(%rip), %rsp\n"
	"	add $8, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n"
	".size image_call, .-image_call\n");

/* stub NAME: onto the host stack (16-byte aligned at the call), call
 * cb_NAME with the image's arguments untouched, back onto the image's. */
#define CALLBACK_STUB(name)						\
	__asm__(".text\n"						\
		".type stub_" #name ", @function\n"			\
		"stub_" #name ":\n"					\
		"	mov %rsp, %rax\n"				\
		"	mov runimg_host_sp(%rip), %rsp\n"		\
		"	push %rax\n"					\
		"	sub $8, %rsp\n"					\
		"	call cb_" #name "\n"				\
		"	add $8, %rsp\n"					\
		"	pop %rsp\n"					\
		"	ret\n"						\
		".size stub_" #name ", .-stub_" #name "\n")

#define BOUNCE	4096

long cb_write(int fd, const void *buf, size_t len);
long cb_write(int fd, const void *buf, size_t len)
{
	char b[BOUNCE];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < BOUNCE ? len - done : BOUNCE, off = 0;

		memcpy(b, (const char *)buf + done, n);	/* faults the image's pages in */
		while (off < n) {
			ssize_t w = write(fd, b + off, n - off);

			if (w < 0)
				return done + off ? (long)(done + off) : -1;
			off += (size_t)w;
		}
		done += n;
	}
	return (long)done;
}

long cb_read(int fd, void *buf, size_t len);
long cb_read(int fd, void *buf, size_t len)
{
	char b[BOUNCE];
	ssize_t n = read(fd, b, len < BOUNCE ? len : BOUNCE);

	if (n > 0)
		memcpy(buf, b, (size_t)n);
	return n;
}

void cb_exit(int status);
void cb_exit(int status)
{
	vm_exit(status);
}

void *cb_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *cb_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return vm_mmap(addr, len, prot, flags, fd, off);
}

int cb_munmap(void *addr, size_t len);
int cb_munmap(void *addr, size_t len)
{
	return vm_munmap(addr, len);
}

int cb_mprotect(void *addr, size_t len, int prot);
int cb_mprotect(void *addr, size_t len, int prot)
{
	return vm_mprotect(addr, len, prot);
}

/* The kernel fills a host copy: it never writes the window itself. */
int cb_getrusage(struct vm_rusage *ru);
int cb_getrusage(struct vm_rusage *ru)
{
	struct vm_rusage r;

	if (vm_getrusage(&r) < 0)
		return -1;
	memcpy(ru, &r, sizeof(r));
	return 0;
}

pid_t cb_getpid(void);
pid_t cb_getpid(void)
{
	return vm_getpid();
}

int cb_translate(const void *addr, uint64_t *entry);
int cb_translate(const void *addr, uint64_t *entry)
{
	uint64_t e;

	if (vm_translate(addr, &e) < 0)
		return -1;
	memcpy(entry, &e, sizeof(e));
	return 0;
}

uint64_t cb_gva(const void *p);
uint64_t cb_gva(const void *p)
{
	return vm_gva(p);
}

CALLBACK_STUB(write);
CALLBACK_STUB(read);
CALLBACK_STUB(exit);
CALLBACK_STUB(mmap);
CALLBACK_STUB(munmap);
CALLBACK_STUB(mprotect);
CALLBACK_STUB(getrusage);
CALLBACK_STUB(getpid);
CALLBACK_STUB(translate);
CALLBACK_STUB(gva);

long stub_write(int fd, const void *buf, size_t len);
long stub_read(int fd, void *buf, size_t len);
void stub_exit(int status) __attribute__((noreturn));
void *stub_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int stub_munmap(void *addr, size_t len);
int stub_mprotect(void *addr, size_t len, int prot);
int stub_getrusage(struct vm_rusage *ru);
pid_t stub_getpid(void);
int stub_translate(const void *addr, uint64_t *entry);
uint64_t stub_gva(const void *p);

/* ---- the stack and the jump --------------------------------------------- */

/*
 * Lay out the image's stack below STACK_TOP as exec does (strings at the
 * top, the pointer array below them), with the callback table between:
 *
 *   0xc0000000  argv[argc-1] string ... argv[0] string
 *               struct vm_image_ops (16-byte aligned)
 *               argv[0] ... argv[argc - 1], NULL
 *   sp ->       (16-byte aligned: the entry is called as a function)
 *
 * Every store is a first touch of a [stack] page: a demand-zero fault.
 */
static void *setup_stack(const struct image *img, int argc, char **args, char ***argvp,
			 struct vm_image_ops **opsp)
{
	uint64_t sp = STACK_TOP, total = 0;
	char **argv;
	int i;

	for (i = 0; i < argc; i++)
		total += strlen(args[i]) + 1 + sizeof(char *);
	if (total > ARG_MAX_BYTES)
		refuse(img, "argument list too long (%lu bytes, %u at most)", (unsigned long)total,
		       ARG_MAX_BYTES);
	{
		char *strs[argc + 1];

		for (i = argc - 1; i >= 0; i--) {
			size_t len = strlen(args[i]) + 1;

			sp -= len;
			strs[i] = vm_ptr(sp);
			memcpy(strs[i], args[i], len);
		}
		sp &= ~(uint64_t)15;
		sp -= (sizeof(struct vm_image_ops) + 15) & ~(size_t)15;
		*opsp = vm_ptr(sp);
		sp -= ((size_t)(argc + 1) * sizeof(char *) + 15) & ~(size_t)15;
		argv = vm_ptr(sp);
		for (i = 0; i < argc; i++)
			argv[i] = strs[i];
		argv[argc] = NULL;
	}
	*argvp = argv;
	return vm_ptr(sp);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: runimg [-v] IMAGE [ARGS...]\n"
		   "  run a freestanding x86-64 -static-pie IMAGE from emulated RAM, mapped at %#x\n"
		   "  -v  show each mapping made for the image, and the relocation count\n",
		ELF_ET_BASE);
}

int main(int argc, char **argv)
{
	struct image img = { .fd = -1 };
	struct vm_image_ops *ops;
	char **iargv;
	struct stat st;
	unsigned nrel;
	void *sp;
	int i = 1, status;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		verbose = 1, i++;
	if (i >= argc || argv[i][0] == '-') {
		usage(stderr);
		return 2;
	}
	if (!vm_is_guest()) {
		fprintf(stderr, "%s: not a guest; run it under vmrun\n", prog);
		return 2;
	}
	img.path = argv[i];
	img.name = strrchr(img.path, '/') ? strrchr(img.path, '/') + 1 : img.path;
	img.fd = open(img.path, O_RDONLY | O_CLOEXEC);
	if (img.fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, img.path, strerror(errno));
		return 127;
	}
	if (fstat(img.fd, &st) < 0 || !S_ISREG(st.st_mode))
		refuse(&img, "not a regular file");
	img.size = (uint64_t)st.st_size;

	read_headers(&img);
	for (int k = 0; k < img.eh.e_phnum; k++)
		if (is_load(&img.ph[k]))
			map_segment(&img, k);
	nrel = relocate(&img);
	protect_relro(&img);
	if (verbose)
		fprintf(stderr, "%s: %s: %u relocations, entry %#lx\n", prog, img.name, nrel,
			(unsigned long)(img.bias + img.eh.e_entry));

	sp = setup_stack(&img, argc - i, argv + i, &iargv, &ops);
	*ops = (struct vm_image_ops){
		.version = VM_IMAGE_ABI_VERSION,
		.size = sizeof(struct vm_image_ops),
		.errno_p = &errno,
		.write = stub_write,
		.read = stub_read,
		.exit = stub_exit,
		.mmap = stub_mmap,
		.munmap = stub_munmap,
		.mprotect = stub_mprotect,
		.getrusage = stub_getrusage,
		.getpid = stub_getpid,
		.translate = stub_translate,
		.gva = stub_gva,
	};
	fflush(NULL);
	status = image_call((vm_image_entry_t)vm_ptr(img.bias + img.eh.e_entry), argc - i, iargv,
			    ops, sp);
	fflush(NULL);
	return status;
}
