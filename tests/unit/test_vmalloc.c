/* test_vmalloc.c - the vmalloc area and the kernel page table under it:
 * scattered frames behind one contiguous range, guard pages, first-fit
 * reuse, vmap of borrowed frames, the log line for a bad vfree, the walk
 * of swapper_pg_dir, and that the validator catches damage. Every case runs
 * in i386 and in pae on a fresh 64 MiB machine and ends with every frame
 * back and check clean.
 */
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common.h"
#include "../../libvm/internal.h"
#include <vm/pgtable.h>

#define MiB (1ULL << 20)


static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 64 * MiB, *(int *)*state);
}

static uint32_t kva_of(const void *p)
{
	return host_to_kva(p);
}

static unsigned long vmalloc_violations(void)
{
	struct vm_view v;
	struct vm_report r = { .out = NULL };

	assert_int_equal(vm_self_view(&v), 0);
	return validate_vmalloc(&v, &r);
}

/* ---- the kernel page table ---------------------------------------------- */

/* The seed's example: 0x080495b0 is PGD 32, PTE 73 in i386; PGD 0, PMD 64,
 * PTE 73 in pae. */
static void test_va_split_of_seed_example(void **state)
{
	(void)state;
	assert_int_equal(pgd_index(VM_MODE_I386, 0x080495b0), 32);
	assert_int_equal(pmd_index(VM_MODE_I386, 0x080495b0), 0);
	assert_int_equal(pte_index(VM_MODE_I386, 0x080495b0), 73);
	assert_int_equal(pgd_index(VM_MODE_PAE, 0x080495b0), 0);
	assert_int_equal(pmd_index(VM_MODE_PAE, 0x080495b0), 64);
	assert_int_equal(pte_index(VM_MODE_PAE, 0x080495b0), 73);
	assert_int_equal(pgd_index(VM_MODE_I386, PAGE_OFFSET), 768);
	assert_int_equal(pgd_index(VM_MODE_PAE, PAGE_OFFSET), 3);
	/* NX exists only in pae */
	assert_true(pfn_pte(VM_MODE_PAE, 5, PAGE_KERNEL) & _PAGE_NX);
	assert_false(pfn_pte(VM_MODE_I386, 5, PAGE_KERNEL) & _PAGE_NX);
	assert_int_equal(pte_pfn(pfn_pte(VM_MODE_PAE, 0xFFFFFF, PAGE_KERNEL)), 0xFFFFFF);
}

/* The direct map is in swapper_pg_dir as large pages; the walk gives each
 * level and the frame inside the large page. */
static void test_direct_map_walks_to_large_pages(void **state)
{
	struct test_machine tm;
	struct pt_walk w;
	int mode;

	boot(&tm, state);
	mode = (int)vm_boot_block->mode;
	assert_int_equal(kernel_walk(0xC0123456, &w), PT_WALK_MAPPED);
	assert_int_equal(w.pfn, 0x123);
	assert_int_equal(w.pa, 0x123456);
	assert_int_equal(w.last, PT_PMD);
	assert_true(pmd_large(w.level[PT_PMD].entry));
	assert_int_equal(w.level[PT_PGD].table, vm_boot_block->swapper_pg_dir);
	if (mode == VM_MODE_I386) {
		assert_int_equal(w.level[PT_PGD].index, 768);
		assert_true(w.level[PT_PMD].folded);
		assert_int_equal(w.level[PT_PMD].entry_pa, w.level[PT_PGD].entry_pa);
	} else {
		assert_int_equal(w.level[PT_PGD].index, 3);
		assert_int_equal(w.level[PT_PGD].entry,
				 (vm_boot_block->swapper_pg_dir + PAGE_SIZE) | _PAGE_PRESENT);
		assert_int_equal(w.level[PT_PMD].table, vm_boot_block->swapper_pg_dir + PAGE_SIZE);
		assert_int_equal(w.level[PT_PMD].index, 0);
		assert_false(w.level[PT_PMD].folded);
	}
	/* the last lowmem page maps, the gap before vmalloc does not */
	assert_int_equal(kernel_lookup_page(PAGE_OFFSET + (uint32_t)((max_low_pfn - 1) << PAGE_SHIFT)),
			 max_low_pfn - 1);
	assert_int_equal(kernel_lookup_page(vm_boot_block->vmalloc_start), 0);
	/* user space is not in swapper_pg_dir */
	assert_int_equal(kernel_walk(0x080495b0, &w), PT_WALK_NONE);
	test_shutdown(&tm);
}

/* kernel_map_page makes a table on demand and counts it; unmapping the last
 * entry frees it. */
static void test_kernel_map_page_allocates_and_frees_table(void **state)
{
	struct test_machine tm;
	unsigned long pt_before;
	struct page *page;
	struct pt_walk w;
	uint32_t kva;

	boot(&tm, state);
	kva = vm_boot_block->vmalloc_end - 16 * PAGE_SIZE;
	pt_before = global_node_page_state(NR_PAGETABLE);
	page = alloc_page(GFP_KERNEL);
	assert_non_null(page);
	assert_int_equal(kernel_map_page(kva, page_to_pfn(page), true), 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt_before + 1);
	assert_int_equal(kernel_lookup_page(kva), page_to_pfn(page));
	assert_int_equal(kernel_walk(kva + 0x10, &w), PT_WALK_MAPPED);
	assert_int_equal(w.last, PT_PTE);
	assert_int_equal(w.pa, ((uint64_t)page_to_pfn(page) << PAGE_SHIFT) + 0x10);
	assert_int_equal(pte_flags(w.level[PT_PTE].entry) & ~_PAGE_NX,
			 _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL);
	assert_int_equal(!!(w.level[PT_PTE].entry & _PAGE_NX), vm_boot_block->mode == VM_MODE_PAE);
	/* a second mapping of a mapped address is refused */
	assert_int_equal(kernel_map_page(kva, page_to_pfn(page), true), -EEXIST);
	/* the direct map is not kernel_map_page's */
	assert_int_equal(kernel_map_page(PAGE_OFFSET, 5, true), -EINVAL);
	assert_int_equal(kernel_unmap_page(kva), page_to_pfn(page));
	assert_int_equal(kernel_lookup_page(kva), 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt_before);
	assert_int_equal(kernel_unmap_page(kva), 0);
	__free_page(page);
	test_shutdown(&tm);
}

/* ---- vmalloc ------------------------------------------------------------ */

static void test_vmalloc_zero_is_null_and_vfree_null_is_ok(void **state)
{
	struct test_machine tm;

	boot(&tm, state);
	assert_null(vmalloc(0));
	vfree(NULL);
	vunmap(NULL);
	assert_null(vmap(NULL, 0));
	/* larger than the whole area */
	assert_null(__vmalloc_caller(1UL << 30, GFP_KERNEL | __GFP_NOWARN, "test"));
	test_shutdown(&tm);
}

/* Frames are taken one at a time: with every other frame of a run still
 * held, the area's frames are not one contiguous run, yet vmalloc_to_page
 * finds each one behind its page.
 *
 *   pfn  n n+1 n+2 n+3 ... : H . H . H .    H = held, . = freed -> vmalloc
 */
static void test_vmalloc_frames_are_scattered(void **state)
{
	enum { N = 32 };
	struct test_machine tm;
	struct page *run[2 * N];
	unsigned long pfn[N];
	bool contiguous = true;
	uint8_t *p;
	unsigned i, j;

	boot(&tm, state);
	for (i = 0; i < 2 * N; i++)
		assert_non_null(run[i] = alloc_page(GFP_KERNEL));
	for (i = 1; i < 2 * N; i += 2)
		__free_page(run[i]);
	p = vmalloc(N * PAGE_SIZE);
	assert_non_null(p);
	assert_true(is_vmalloc_addr(p));
	for (i = 0; i < N; i++) {
		struct page *page = vmalloc_to_page(p + i * PAGE_SIZE + 123);

		assert_non_null(page);
		pfn[i] = page_to_pfn(page);
		assert_int_equal(kernel_lookup_page(kva_of(p) + i * PAGE_SIZE), pfn[i]);
		assert_int_equal(page_ref_count(page), 1);
		for (j = 0; j < i; j++)
			assert_int_not_equal(pfn[j], pfn[i]);
		if (i && pfn[i] != pfn[i - 1] + 1)
			contiguous = false;
	}
	assert_false(contiguous);
	assert_machine_valid();
	vfree(p);
	for (i = 0; i < 2 * N; i += 2)
		__free_page(run[i]);
	test_shutdown(&tm);
}

/* A pattern written across the whole area through the returned pointer
 * reads back, and each frame holds its page's slice of it. */
static void test_vmalloc_is_virtually_contiguous(void **state)
{
	const unsigned long size = 37 * PAGE_SIZE - 100;
	struct test_machine tm;
	uint8_t *p;
	unsigned long i;

	boot(&tm, state);
	p = vmalloc(size);
	assert_non_null(p);
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 12));
	for (i = 0; i < size; i++)
		assert_int_equal(p[i], (uint8_t)(i * 7 + (i >> 12)));
	for (i = 0; i < 37; i++) {
		struct page *page = vmalloc_to_page(p + i * PAGE_SIZE);
		unsigned long len = i == 36 ? PAGE_SIZE - 100 : PAGE_SIZE;
		uint8_t *k;

		assert_non_null(page);
		k = kmap(page);
		assert_memory_equal(k, p + i * PAGE_SIZE, len);
		kunmap(page);
		if (!PageHighMem(page))
			assert_ptr_equal(page_address(page), k);
	}
	assert_machine_valid();
	vfree(p);
	test_shutdown(&tm);
}

static void test_vfree_returns_every_frame(void **state)
{
	struct test_machine tm;
	unsigned long before, pt_before;
	uint8_t *p;

	boot(&tm, state);
	drain_all_pages();
	before = nr_free_frames();
	pt_before = global_node_page_state(NR_PAGETABLE);
	p = vmalloc(100 * PAGE_SIZE);
	assert_non_null(p);
	p[0] = 1;
	p[100 * PAGE_SIZE - 1] = 2;
	assert_int_equal(global_node_page_state(NR_VMALLOC), 100);
	assert_int_equal(vm_kdata->vmap.nr_pages, 100);
	assert_true(nr_free_frames() <= before - 100);
	assert_true(global_node_page_state(NR_PAGETABLE) >= pt_before + 1);
	vfree(p);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), before);
	assert_int_equal(global_node_page_state(NR_VMALLOC), 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt_before);
	assert_int_equal(vm_kdata->vmap.root.count, 0);
	test_shutdown(&tm);
}

/* Two areas in a row: the second starts past the first's guard page, which
 * no PTE maps and whose host page faults. */
static void test_guard_page_between_areas(void **state)
{
	struct test_machine tm;
	uint8_t *a, *b;
	pid_t pid;
	int status;

	boot(&tm, state);
	a = vmalloc(3 * PAGE_SIZE);
	b = vmalloc(2 * PAGE_SIZE);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(kva_of(a), vm_boot_block->vmalloc_start);
	assert_true(kva_of(b) >= kva_of(a) + 4 * PAGE_SIZE);
	assert_int_equal(kernel_lookup_page(kva_of(a) + 3 * PAGE_SIZE), 0);
	assert_null(vmalloc_to_page(a + 3 * PAGE_SIZE));
	a[3 * PAGE_SIZE - 1] = 1;
	b[0] = 2;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile uint8_t *guard = a + 3 * PAGE_SIZE;

		signal(SIGSEGV, SIG_DFL);	/* cmocka's handler would carry on */
		(void)*guard;
		_exit(0);	/* the read should not have returned */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	vfree(a);
	vfree(b);
	test_shutdown(&tm);
}

/* vfree of an address that starts no area logs Linux's line and changes
 * nothing. */
static void test_vfree_of_bogus_address_logs_and_does_nothing(void **state)
{
	struct test_machine tm;
	int on_stack = 0;
	uint8_t *p;

	boot(&tm, state);
	p = vmalloc(4 * PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0x5a, 4 * PAGE_SIZE);
	assert_false(log_has(0, "Trying to vfree() nonexistent vm area"));
	vfree(p + PAGE_SIZE);		/* inside an area, not its start */
	assert_true(log_has(0, "Trying to vfree() nonexistent vm area"));
	vfree(&on_stack);		/* not in the kernel window at all */
	vfree(kva_to_host(vm_boot_block->vmalloc_end - PAGE_SIZE));
	vfree(p + 1);
	assert_true(log_has(0, "Trying to vfree() bad address"));
	assert_int_equal(vm_kdata->vmap.root.count, 1);
	assert_int_equal(p[4 * PAGE_SIZE - 1], 0x5a);
	assert_machine_valid();
	vfree(p);
	test_shutdown(&tm);
}

/* vzalloc hands out zeroes even over frames that held data. */
static void test_vzalloc_zeroes(void **state)
{
	enum { N = 64 };
	struct test_machine tm;
	struct page *dirty[N];
	uint8_t *p;
	unsigned long i;

	boot(&tm, state);
	for (i = 0; i < N; i++) {
		assert_non_null(dirty[i] = alloc_page(GFP_KERNEL));
		memset(page_address(dirty[i]), 0xA5, PAGE_SIZE);
	}
	for (i = 0; i < N; i++)
		__free_page(dirty[i]);
	p = vzalloc(N * PAGE_SIZE);
	assert_non_null(p);
	for (i = 0; i < N * PAGE_SIZE; i++)
		if (p[i])
			fail_msg("vzalloc byte %lu is %#x", i, p[i]);
	vfree(p);
	test_shutdown(&tm);
}

/* vmap maps frames it does not own: vunmap leaves them allocated, with
 * what was written through the mapping. */
static void test_vmap_then_vunmap_keeps_pages(void **state)
{
	enum { N = 8 };
	struct test_machine tm;
	struct page *pages[N];
	uint32_t *p;
	unsigned i;

	boot(&tm, state);
	for (i = 0; i < N; i++) {
		assert_non_null(pages[i] = alloc_page(GFP_KERNEL));
		*(uint32_t *)page_address(pages[i]) = 0x1000 + i;
	}
	p = vmap(pages, N);
	assert_non_null(p);
	assert_true(is_vmalloc_addr(p));
	for (i = 0; i < N; i++) {
		assert_int_equal(p[i * PAGE_SIZE / 4], 0x1000 + i);
		assert_ptr_equal(vmalloc_to_page((uint8_t *)p + i * PAGE_SIZE), pages[i]);
		p[i * PAGE_SIZE / 4 + 1] = 0x2000 + i;
	}
	assert_int_equal(global_node_page_state(NR_VMALLOC), 0);
	assert_int_equal(vm_kdata->vmap.root.count, 1);
	assert_machine_valid();
	vunmap(p);
	assert_int_equal(vm_kdata->vmap.root.count, 0);
	for (i = 0; i < N; i++) {
		uint32_t *k = page_address(pages[i]);

		assert_int_equal(page_ref_count(pages[i]), 1);
		assert_int_equal(k[0], 0x1000 + i);
		assert_int_equal(k[1], 0x2000 + i);
		__free_page(pages[i]);
	}
	test_shutdown(&tm);
}

/* First fit: a freed range is the next one handed out if it fits. */
static void test_areas_reused_after_vfree(void **state)
{
	struct test_machine tm;
	uint8_t *a, *x, *y, *z, *w, *big;
	uint32_t a_kva, y_kva;

	boot(&tm, state);
	a = vmalloc(4 * PAGE_SIZE);
	a_kva = kva_of(a);
	vfree(a);
	a = vmalloc(4 * PAGE_SIZE);
	assert_int_equal(kva_of(a), a_kva);
	vfree(a);

	/* x y z in a row; free y; a 1-page area fits y's 3-page slot, a
	 * 5-page one goes past z */
	x = vmalloc(2 * PAGE_SIZE);
	y = vmalloc(2 * PAGE_SIZE);
	z = vmalloc(2 * PAGE_SIZE);
	y_kva = kva_of(y);
	vfree(y);
	big = vmalloc(5 * PAGE_SIZE);
	assert_true(kva_of(big) > kva_of(z));
	w = vmalloc(PAGE_SIZE);
	assert_int_equal(kva_of(w), y_kva);
	assert_machine_valid();
	vfree(x);
	vfree(z);
	vfree(w);
	vfree(big);
	test_shutdown(&tm);
}

/* Hundreds of areas allocated and freed in a scrambled order keep the tree
 * balanced and in step with the list. */
static void test_many_areas(void **state)
{
	enum { N = 300 };
	struct test_machine tm;
	static uint8_t *p[N];
	unsigned i, k, seed = 12345;

	boot(&tm, state);
	for (i = 0; i < N; i++) {
		p[i] = vmalloc((i % 5 + 1) * PAGE_SIZE);
		assert_non_null(p[i]);
		p[i][0] = (uint8_t)i;
	}
	assert_int_equal(vm_kdata->vmap.root.count, N);
	assert_machine_valid();
	for (k = 0; k < 2 * N; k++) {
		seed = seed * 1103515245 + 12345;
		i = (seed >> 16) % N;
		if (p[i]) {
			assert_int_equal(p[i][0], (uint8_t)i);
			vfree(p[i]);
			p[i] = NULL;
		} else {
			p[i] = vmalloc((i % 7 + 1) * PAGE_SIZE);
			assert_non_null(p[i]);
			p[i][0] = (uint8_t)i;
		}
	}
	assert_machine_valid();
	for (i = 0; i < N; i++)
		vfree(p[i]);
	assert_int_equal(global_node_page_state(NR_VMALLOC), 0);
	test_shutdown(&tm);
}

/* An area larger than what one page table maps (4 MiB i386, 2 MiB pae). */
static void test_vmalloc_spans_page_tables(void **state)
{
	const unsigned long size = 9 * MiB;
	struct test_machine tm;
	unsigned long pt_before;
	uint8_t *p;
	unsigned long i;

	boot(&tm, state);
	pt_before = global_node_page_state(NR_PAGETABLE);
	p = vmalloc(size);
	assert_non_null(p);
	assert_true(global_node_page_state(NR_PAGETABLE) >= pt_before + 3);
	for (i = 0; i < size; i += PAGE_SIZE)
		p[i] = (uint8_t)(i >> 12);
	for (i = 0; i < size; i += PAGE_SIZE)
		assert_int_equal(p[i], (uint8_t)(i >> 12));
	assert_machine_valid();
	vfree(p);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt_before);
	test_shutdown(&tm);
}

static void test_is_vmalloc_addr(void **state)
{
	struct test_machine tm;
	struct page *page;
	int on_stack;
	void *p;

	boot(&tm, state);
	p = vmalloc(PAGE_SIZE);
	page = alloc_page(GFP_KERNEL);
	assert_true(is_vmalloc_addr(p));
	assert_false(is_vmalloc_addr(page_address(page)));
	assert_false(is_vmalloc_addr(&on_stack));
	assert_null(vmalloc_to_page(page_address(page)));
	vfree(p);
	__free_page(page);
	test_shutdown(&tm);
}

/* The validator is not vacuous: a cleared PTE, a wrong height and a broken
 * list link are each reported, and the state is clean once restored. */
static void test_validate_vmalloc_catches_damage(void **state)
{
	struct test_machine tm;
	struct vmap_area *va1, *va2;
	struct pt_walk w;
	uint8_t *a, *b;
	pteval_t pte;
	uint32_t saved;

	boot(&tm, state);
	a = vmalloc(2 * PAGE_SIZE);
	b = vmalloc(PAGE_SIZE);
	assert_int_equal(vmalloc_violations(), 0);

	assert_int_equal(kernel_walk(kva_of(a) + PAGE_SIZE, &w), PT_WALK_MAPPED);
	pte = w.level[PT_PTE].entry;
	pt_write(w.level[PT_PTE].entry_pa, 0);
	assert_true(vmalloc_violations() > 0);
	pt_write(w.level[PT_PTE].entry_pa, pte);
	assert_int_equal(vmalloc_violations(), 0);

	va1 = __va(vm_kdata->vmap.first);
	va2 = __va(va1->next);
	va2->node.height += 3;
	assert_true(vmalloc_violations() > 0);
	va2->node.height -= 3;
	saved = va2->prev;
	va2->prev = 0;
	assert_true(vmalloc_violations() > 0);
	va2->prev = saved;
	/* the guard page mapped */
	assert_int_equal(kernel_map_page(va1->va_end - PAGE_SIZE, vmalloc_to_page(b) - mem_map, true), 0);
	assert_true(vmalloc_violations() > 0);
	kernel_unmap_page(va1->va_end - PAGE_SIZE);
	assert_int_equal(vmalloc_violations(), 0);
	vfree(a);
	vfree(b);
	test_shutdown(&tm);
}

/* Two processes vmalloc and vfree at once under the shared lock. */
static void test_vmalloc_from_two_processes(void **state)
{
	struct test_machine tm;
	pid_t pid[2];
	int i, status;

	boot(&tm, state);
	fflush(NULL);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			uint8_t *p[8] = { 0 };
			unsigned k, j;

			for (k = 0; k < 400; k++) {
				j = k % 8;
				if (p[j]) {
					if (p[j][0] != (uint8_t)(j + i * 8))
						_exit(2);
					vfree(p[j]);
				}
				p[j] = vmalloc((j + 1) * PAGE_SIZE);
				if (!p[j])
					_exit(3);
				memset(p[j], j + i * 8, (j + 1) * PAGE_SIZE);
			}
			for (j = 0; j < 8; j++)
				vfree(p[j]);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(vm_kdata->vmap.root.count, 0);
	test_shutdown(&tm);
}

/*
 * vmalloc_fault: an area made after a guest's page directory was copied is
 * not in that guest's host mappings. Its first touch faults in the kernel
 * window; the handler finds the entry in swapper_pg_dir, copies the PDE
 * into the guest's directory (i386) and maps the page. A fresh attach in
 * a child stands for "another process".
 */
static void test_vmalloc_fault_in_another_process(void **state)
{
	struct test_machine tm;
	int guest, status;
	uint32_t kva, idx;
	uint8_t *p;
	pid_t child;

	boot(&tm, state);
	guest = vm_task_create("reader", 0);
	assert_true(guest > 0);
	p = vmalloc(3 * PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0x5a, 3 * PAGE_SIZE);
	kva = kva_of(p);
	idx = pgd_index(VM_MODE_I386, kva);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char path[256];
		uint32_t *dir;
		unsigned i;

		alarm(30);	/* bounds the parent's wait */
		snprintf(path, sizeof(path), "%s", vm_ram_path());
		vm_detach();
		if (vm_attach(path) != 0 || vm_task_enter(guest) != 0)
			_exit(2);
		dir = __va(task_mm(current)->pgd);
		/* i386: the directory was copied before the area's table existed */
		if (!vm_pae() && dir[idx] != 0)
			_exit(3);
		for (i = 0; i < 3 * PAGE_SIZE; i += 512)
			if (((volatile uint8_t *)kva_to_host(kva))[i] != 0x5a)
				_exit(4);
		if (!vm_pae() && dir[idx] != ((uint32_t *)__va(vm_boot_block->swapper_pg_dir))[idx])
			_exit(5);
		vm_task_leave();
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	vfree(p);
	/* i386: the area's table went with it, and so did the guest's copy */
	if (!vm_pae())
		assert_int_equal(((uint32_t *)__va(task_mm(find_task_by_pid(guest))->pgd))[idx], 0);
	assert_int_equal(vm_task_reap(guest, NULL), 0);
	test_shutdown(&tm);
}

/* Any other kernel-half fault is a kernel bug: the gap after the direct
 * map holds nothing, so a touch there oopses in the log and the process
 * dies of SIGSEGV. */
static void test_stray_kernel_access_oopses(void **state)
{
	struct test_machine tm;
	uint32_t gap;
	uint64_t mark;
	int guest, status;
	pid_t child;

	boot(&tm, state);
	guest = vm_task_create("stray", 0);
	assert_true(guest > 0);
	gap = vm_boot_block->vmalloc_start - PAGE_SIZE;	/* inside the 8 MiB hole */
	mark = log_mark();
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		alarm(30);
		prctl(PR_SET_DUMPABLE, 0);	/* no core file */
		if (vm_task_enter(guest) != 0)
			_exit(2);
		(void)*(volatile uint8_t *)kva_to_host(gap);
		_exit(3);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	{
		char line[80];

		snprintf(line, sizeof(line), "BUG: unable to handle page fault for address: %08x", gap);
		assert_true(log_has(mark, line));
	}
	assert_int_equal(vm_task_reap(guest, NULL), 0);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_split_of_seed_example),
		BOTH(test_direct_map_walks_to_large_pages),
		BOTH(test_kernel_map_page_allocates_and_frees_table),
		BOTH(test_vmalloc_zero_is_null_and_vfree_null_is_ok),
		BOTH(test_vmalloc_frames_are_scattered),
		BOTH(test_vmalloc_is_virtually_contiguous),
		BOTH(test_vfree_returns_every_frame),
		BOTH(test_guard_page_between_areas),
		BOTH(test_vfree_of_bogus_address_logs_and_does_nothing),
		BOTH(test_vzalloc_zeroes),
		BOTH(test_vmap_then_vunmap_keeps_pages),
		BOTH(test_areas_reused_after_vfree),
		BOTH(test_many_areas),
		BOTH(test_vmalloc_spans_page_tables),
		BOTH(test_is_vmalloc_addr),
		BOTH(test_validate_vmalloc_catches_damage),
		BOTH(test_vmalloc_from_two_processes),
		BOTH(test_vmalloc_fault_in_another_process),
		BOTH(test_stray_kernel_access_oopses),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
