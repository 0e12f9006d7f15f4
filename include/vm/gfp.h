/* gfp.h - "get free page" flags: where a frame may come from and what the
 * allocator may do to find one. Values are ours; names and meaning Linux's. */
#ifndef VM_GFP_H
#define VM_GFP_H

typedef unsigned int gfp_t;

#define __GFP_DMA		0x0001u	/* only from ZONE_DMA */
#define __GFP_HIGHMEM		0x0002u	/* ZONE_HIGHMEM allowed (and preferred) */
#define __GFP_HIGH		0x0020u	/* may dip into reserves: min / 2 */
#define __GFP_ATOMIC		0x0040u	/* cannot sleep or reclaim: min / 4 more */
#define __GFP_IO		0x0080u	/* may start I/O to reclaim */
#define __GFP_FS		0x0100u	/* may call into filesystems to reclaim */
#define __GFP_ZERO		0x0200u	/* return zeroed frames */
#define __GFP_NOWARN		0x0400u	/* no log line on failure */
#define __GFP_COMP		0x0800u	/* make a compound page (head + tails) */
#define __GFP_DIRECT_RECLAIM	0x1000u	/* may reclaim directly */
#define __GFP_KSWAPD_RECLAIM	0x2000u	/* may wake kswapd */
#define __GFP_HARDWALL		0x4000u	/* a user allocation (cpuset bound in Linux) */

#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_USER		(GFP_KERNEL | __GFP_HARDWALL)
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_DMA			__GFP_DMA

#endif /* VM_GFP_H */
