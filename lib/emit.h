/* emit.h - what a plan looks like outside (private).
 * Shard files, plan.json, the preview table and the SVG picture are all made
 * here from a finished hist_plan; the public calls are in hist.h. */
#ifndef HIST_EMIT_H
#define HIST_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hist.h"
#include "planner.h"

/* µs as seconds with 3 or 6 decimals ("12.346", "12.345678"), rounded half
 * up, by integer arithmetic so every machine prints alike. */
int hist__emit_seconds(hist__buf *b, int64_t us, int decimals);
/* The plan's id: XXH3-64 (seed 0) over, for k = 1..N, the line
 * "shard k/N\n" and then shard k's nodeids, each followed by "\n", in file
 * order; 16 lowercase hex digits, owned by the plan. Hashed on the first
 * call unless hist_plan_write hashed it already; threads may call it at
 * once (plan->id_mu). */
const char *hist__emit_id(const hist_plan *plan);
/* The text of shard k (1-based) in the shard file format. */
int hist__emit_shard(hist__buf *b, const hist_plan *plan, unsigned int k);

#endif
