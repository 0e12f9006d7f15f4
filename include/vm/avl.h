/* avl.h - an intrusive AVL tree whose nodes lie in RAM and link by physical
 * address (lowmem, so 32 bits), so a reader that maps RAM elsewhere can walk
 * it. The seeds' VMA tree is an AVL tree; vmalloc's vmap_area tree uses the
 * same code. The caller holds whatever lock guards the tree.
 */
#ifndef VM_AVL_H
#define VM_AVL_H

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

#endif /* VM_AVL_H */
