/* avl.h - an intrusive AVL tree whose nodes lie in RAM and link by physical
 * address (lowmem, so 32 bits), so a reader that maps RAM elsewhere can walk
 * it. The seeds' VMA tree is an AVL tree; vmalloc's vmap_area tree uses the
 * same code. The caller holds whatever lock guards the tree.
 *
 * A tree is keyed by a uint32_t (an address) inside the object that holds
 * the node, found at a fixed byte offset from the node, so one compiled
 * copy of the code serves every tree and the validator can read keys
 * through a view without calling back into the owner:
 *
 *   struct vmap_area { struct avl_node node; uint32_t va_start; ... };
 *   long off = AVL_KEY_OFFSET(struct vmap_area, node, va_start);   // 16
 *   avl_insert(&vs->root, __pa(&area->node), off);
 *   uint32_t pa = avl_floor(&vs->root, off, addr);  // area starting at or below addr
 *
 * Keys are unique; every function names nodes by the pa of their struct
 * avl_node (0 = none), and the live functions reach them through __va.
 */
#ifndef VM_AVL_H
#define VM_AVL_H

#include <stddef.h>
#include <stdint.h>

struct avl_node {
	uint32_t left;			/* pa of the left child, 0 if none */
	uint32_t right;			/* pa of the right child, 0 if none */
	uint32_t parent;		/* pa of the parent, 0 at the root */
	int32_t  height;		/* 1 for a leaf */
};

struct avl_root {
	uint32_t node;			/* pa of the root node, 0 when empty */
	uint32_t count;			/* nodes in the tree */
};

/* Byte offset of the key from the node; negative when the key comes first. */
#define AVL_KEY_OFFSET(type, node_member, key_member) \
	((long)offsetof(type, key_member) - (long)offsetof(type, node_member))

/* An AVL tree of n nodes is at most 1.44 log2(n + 2) high: 46 for 2^32. */
#define AVL_MAX_HEIGHT		48

/* Link node (zeroed links or not) into the tree: 0, or -EEXIST if a node
 * with its key is there already (the tree is unchanged). O(log n). */
int avl_insert(struct avl_root *root, uint32_t node, long key_off);
/* Unlink node, which must be in the tree. O(log n). */
void avl_erase(struct avl_root *root, uint32_t node);

/* The node whose key is key, or 0. */
uint32_t avl_find(const struct avl_root *root, long key_off, uint32_t key);
/* The node with the greatest key <= key, or 0 (which area holds addr). */
uint32_t avl_floor(const struct avl_root *root, long key_off, uint32_t key);
/* The node with the least key >= key, or 0. */
uint32_t avl_ceil(const struct avl_root *root, long key_off, uint32_t key);

/* In order of key. */
uint32_t avl_first(const struct avl_root *root);
uint32_t avl_last(const struct avl_root *root);
uint32_t avl_next(uint32_t node);
uint32_t avl_prev(uint32_t node);

struct vm_view;
struct vm_report;

/*
 * Read-only check of a tree through a view: every link inside the view and
 * its parent link pointing back, heights right, balance within one, keys
 * strictly increasing in order, count right. At most max_nodes visits, so
 * a damaged file cannot loop. Each violation goes to vm_report prefixed
 * with what ("vmalloc"). visit, if not NULL, is called in key order with
 * each node that passed, so a caller can compare the tree with a list.
 * Returns the number of violations reported.
 */
unsigned long avl_validate(const struct vm_view *v, const struct avl_root *root, long key_off,
			   uint32_t max_nodes, const char *what, struct vm_report *r,
			   void (*visit)(void *ctx, uint32_t node), void *ctx);

#endif /* VM_AVL_H */
