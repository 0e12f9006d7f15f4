/* avl.c - the intrusive AVL tree of avl.h: nodes in RAM, linked by pa,
 * keyed by a uint32_t at a fixed offset from the node. No locking here: the
 * tree's owner holds its lock (vmap_state.lock for vmalloc's areas, the mm
 * lock for VMAs). avl_validate reads through a view and may run anywhere.
 *
 * Heights, not balance factors, are stored: one int per node that a reader
 * can check on its own (height = 1 + the taller child's), where a balance
 * factor could only be checked by recomputing both subtrees anyway.
 */
#include <stdlib.h>

#include "internal.h"
#include <vm/avl.h>

#define N(pa)	((struct avl_node *)__va(pa))

static inline uint32_t key_of(uint32_t node, long key_off)
{
	return *(const uint32_t *)((const char *)__va(node) + key_off);
}

static inline int32_t height(uint32_t node)
{
	return node ? N(node)->height : 0;
}

static inline void fix_height(uint32_t node)
{
	struct avl_node *n = N(node);
	int32_t hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
}

/* Point parent's link to old (or the root) at new; new's parent link is
 * the caller's to set. */
static inline void replace_child(struct avl_root *root, uint32_t parent, uint32_t old,
				 uint32_t new)
{
	if (!parent)
		root->node = new;
	else if (N(parent)->left == old)
		N(parent)->left = new;
	else
		N(parent)->right = new;
}

/*
 *      x                y
 *     / \              / \
 *    a   y     ->     x   c
 *       / \          / \
 *      b   c        a   b
 */
static uint32_t rotate_left(struct avl_root *root, uint32_t x)
{
	struct avl_node *nx = N(x);
	uint32_t y = nx->right, parent = nx->parent;
	struct avl_node *ny = N(y);

	nx->right = ny->left;
	if (ny->left)
		N(ny->left)->parent = x;
	ny->left = x;
	nx->parent = y;
	ny->parent = parent;
	replace_child(root, parent, x, y);
	fix_height(x);
	fix_height(y);
	return y;
}

/* The mirror image of rotate_left. */
static uint32_t rotate_right(struct avl_root *root, uint32_t x)
{
	struct avl_node *nx = N(x);
	uint32_t y = nx->left, parent = nx->parent;
	struct avl_node *ny = N(y);

	nx->left = ny->right;
	if (ny->right)
		N(ny->right)->parent = x;
	ny->right = x;
	nx->parent = y;
	ny->parent = parent;
	replace_child(root, parent, x, y);
	fix_height(x);
	fix_height(y);
	return y;
}

/* Restore balance at node, whose subtrees are balanced and differ in
 * height by at most two; returns the subtree's new top. A left child that
 * leans right takes a rotation of its own first (the double rotation):
 * keys 30, 10, 20 inserted in that order give 30-10 with 20 right of 10;
 * rotate 10 left, then 30 right, and 20 is on top. */
static uint32_t rebalance(struct avl_root *root, uint32_t node)
{
	struct avl_node *n = N(node);
	int32_t bal = height(n->left) - height(n->right);

	if (bal > 1) {
		if (height(N(n->left)->left) < height(N(n->left)->right))
			rotate_left(root, n->left);
		return rotate_right(root, node);
	}
	if (bal < -1) {
		if (height(N(n->right)->right) < height(N(n->right)->left))
			rotate_right(root, n->right);
		return rotate_left(root, node);
	}
	fix_height(node);
	return node;
}

/* Rebalance from node up to the root. The path is O(log n) long; stopping
 * early where a height does not change would save a little and is easy to
 * get wrong after an erase. */
static void retrace(struct avl_root *root, uint32_t node)
{
	while (node) {
		node = rebalance(root, node);
		node = N(node)->parent;
	}
}

int avl_insert(struct avl_root *root, uint32_t node, long key_off)
{
	uint32_t key = key_of(node, key_off), parent = 0, cur = root->node;
	struct avl_node *n = N(node);
	bool left = false;

	while (cur) {
		uint32_t k = key_of(cur, key_off);

		if (key == k)
			return -EEXIST;
		parent = cur;
		left = key < k;
		cur = left ? N(cur)->left : N(cur)->right;
	}
	n->left = n->right = 0;
	n->height = 1;
	n->parent = parent;
	if (!parent)
		root->node = node;
	else if (left)
		N(parent)->left = node;
	else
		N(parent)->right = node;
	root->count++;
	retrace(root, parent);
	return 0;
}

void avl_erase(struct avl_root *root, uint32_t node)
{
	struct avl_node *n = N(node);
	uint32_t start;

	if (n->left && n->right) {
		/* Two children: the successor s (leftmost on the right) takes
		 * node's place, and node is gone from where s was. */
		uint32_t s = n->right, sp;
		struct avl_node *ns;

		while (N(s)->left)
			s = N(s)->left;
		ns = N(s);
		sp = ns->parent;
		replace_child(root, n->parent, node, s);
		ns->parent = n->parent;
		ns->left = n->left;
		N(n->left)->parent = s;
		ns->height = n->height;
		if (sp == node) {
			start = s;	/* s was node's right child: keeps its right */
		} else {
			N(sp)->left = ns->right;
			if (ns->right)
				N(ns->right)->parent = sp;
			ns->right = n->right;
			N(n->right)->parent = s;
			start = sp;
		}
	} else {
		uint32_t child = n->left ? n->left : n->right;

		replace_child(root, n->parent, node, child);
		if (child)
			N(child)->parent = n->parent;
		start = n->parent;
	}
	n->left = n->right = n->parent = 0;
	n->height = 0;
	root->count--;
	retrace(root, start);
}

uint32_t avl_find(const struct avl_root *root, long key_off, uint32_t key)
{
	uint32_t cur = root->node;

	while (cur) {
		uint32_t k = key_of(cur, key_off);

		if (key == k)
			return cur;
		cur = key < k ? N(cur)->left : N(cur)->right;
	}
	return 0;
}

uint32_t avl_floor(const struct avl_root *root, long key_off, uint32_t key)
{
	uint32_t cur = root->node, best = 0;

	while (cur) {
		uint32_t k = key_of(cur, key_off);

		if (k == key)
			return cur;
		if (k < key) {
			best = cur;
			cur = N(cur)->right;
		} else {
			cur = N(cur)->left;
		}
	}
	return best;
}

uint32_t avl_ceil(const struct avl_root *root, long key_off, uint32_t key)
{
	uint32_t cur = root->node, best = 0;

	while (cur) {
		uint32_t k = key_of(cur, key_off);

		if (k == key)
			return cur;
		if (k > key) {
			best = cur;
			cur = N(cur)->left;
		} else {
			cur = N(cur)->right;
		}
	}
	return best;
}

uint32_t avl_first(const struct avl_root *root)
{
	uint32_t cur = root->node;

	if (cur)
		while (N(cur)->left)
			cur = N(cur)->left;
	return cur;
}

uint32_t avl_last(const struct avl_root *root)
{
	uint32_t cur = root->node;

	if (cur)
		while (N(cur)->right)
			cur = N(cur)->right;
	return cur;
}

uint32_t avl_next(uint32_t node)
{
	uint32_t parent;

	if (N(node)->right) {
		node = N(node)->right;
		while (N(node)->left)
			node = N(node)->left;
		return node;
	}
	/* Up until we arrive from a left child. */
	while ((parent = N(node)->parent) && N(parent)->right == node)
		node = parent;
	return parent;
}

uint32_t avl_prev(uint32_t node)
{
	uint32_t parent;

	if (N(node)->left) {
		node = N(node)->left;
		while (N(node)->right)
			node = N(node)->right;
		return node;
	}
	while ((parent = N(node)->parent) && N(parent)->left == node)
		node = parent;
	return parent;
}

/* ---- the validator ------------------------------------------------------ */

struct avl_check {
	const struct vm_view *v;
	struct vm_report *r;
	const char *what;
	long key_off;
	uint32_t max_nodes;
	uint32_t visited;
	bool have_prev;
	bool stop;
	uint32_t prev_key;
	void (*visit)(void *ctx, uint32_t node);
	void *ctx;
};

/*
 * Returns the subtree's height as found, or -1 if it could not be checked.
 * A child is entered only when its parent link names the node we came
 * from; since every node has one parent link, that alone stops a damaged
 * tree from leading the walk round a cycle. A node listed as both children
 * of one parent is caught separately, and max_nodes bounds the rest.
 */
static int check_node(struct avl_check *c, uint32_t pa, uint32_t parent, int depth)
{
	const struct avl_node *p;
	const uint32_t *kp;
	struct avl_node n;
	int hl, hr, h;
	uint32_t key;

	if (!pa)
		return 0;
	if (c->stop)
		return -1;
	if (++c->visited > c->max_nodes) {
		vm_report(c->r, "%s: tree has more than %u nodes (a cycle?)", c->what, c->max_nodes);
		c->stop = true;
		return -1;
	}
	if (depth > AVL_MAX_HEIGHT) {
		vm_report(c->r, "%s: tree deeper than %d at node %#x", c->what, AVL_MAX_HEIGHT, pa);
		c->stop = true;
		return -1;
	}
	p = (pa & 3) ? NULL : vm_view_ptr(c->v, pa, sizeof(*p));
	kp = ((int64_t)pa + c->key_off < 0 || ((pa + c->key_off) & 3)) ? NULL :
	     vm_view_ptr(c->v, (uint64_t)((int64_t)pa + c->key_off), sizeof(*kp));
	if (!p || !kp) {
		vm_report(c->r, "%s: tree node at pa %#x (under %#x) lies outside RAM or is misaligned",
			  c->what, pa, parent);
		return -1;
	}
	n = *p;			/* one copy: a live machine may change under us */
	key = *kp;
	if (n.parent != parent) {
		vm_report(c->r, "%s: tree node %#x has parent %#x, reached from %#x", c->what, pa,
			  n.parent, parent);
		return -1;
	}
	if (n.left && n.left == n.right) {
		vm_report(c->r, "%s: tree node %#x has %#x as both children", c->what, pa, n.left);
		return -1;
	}
	hl = check_node(c, n.left, pa, depth + 1);
	if (c->have_prev && key <= c->prev_key)
		vm_report(c->r, "%s: tree node %#x key %#x after key %#x: out of order", c->what, pa,
			  key, c->prev_key);
	c->have_prev = true;
	c->prev_key = key;
	if (c->visit && !c->stop)
		c->visit(c->ctx, pa);
	hr = check_node(c, n.right, pa, depth + 1);
	if (hl < 0 || hr < 0)
		return -1;
	h = 1 + (hl > hr ? hl : hr);
	if (n.height != h)
		vm_report(c->r, "%s: tree node %#x height %d, subtrees give %d", c->what, pa, n.height, h);
	if (hl - hr > 1 || hr - hl > 1)
		vm_report(c->r, "%s: tree node %#x unbalanced: left %d, right %d", c->what, pa, hl, hr);
	return h;
}

unsigned long avl_validate(const struct vm_view *v, const struct avl_root *root, long key_off,
			   uint32_t max_nodes, const char *what, struct vm_report *r,
			   void (*visit)(void *ctx, uint32_t node), void *ctx)
{
	struct avl_check c = {
		.v = v, .r = r, .what = what, .key_off = key_off, .max_nodes = max_nodes,
		.visit = visit, .ctx = ctx,
	};
	unsigned long before = r->violations;
	struct avl_root rt = *root;

	if (check_node(&c, rt.node, 0, 1) >= 0 && c.visited != rt.count)
		vm_report(r, "%s: tree holds %u nodes, its root counts %u", what, c.visited, rt.count);
	return r->violations - before;
}
