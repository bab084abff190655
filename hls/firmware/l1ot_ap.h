// l1ot HLS kernel — include of the arbitrary-precision integer types.
//
// The ap_types headers (third-party; in C simulation the copy shipped with the
// hls4ml package) read the uninitialised storage of a default-constructed
// ap_int in ap_private::clearUnusedBits(); GCC reports this at -O2 even with
// -isystem, because the code is inlined into ours. The two warnings are
// silenced for the lines of these headers only, so `-Wall -Wextra -Werror`
// still covers every line of l1ot. -Wmaybe-uninitialized exists in GCC only: a
// clang-based front end (Vitis HLS's among them) would warn about the unknown
// option, so the pragmas are for GCC alone (clang defines __GNUC__ too).
#ifndef L1OT_AP_H_
#define L1OT_AP_H_

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "ap_int.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
