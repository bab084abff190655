// l1ot HLS kernel — include of the arbitrary-precision integer types.
//
// The ap_types headers (third-party; in C simulation the copy shipped with the
// hls4ml package) read the uninitialised storage of a default-constructed
// ap_int in ap_private::clearUnusedBits(); GCC reports this at -O2 even with
// -isystem, because the code is inlined into ours. The two warnings are
// silenced for the lines of these headers only, so `-Wall -Wextra -Werror`
// still covers every line of l1ot.
#ifndef L1OT_AP_H_
#define L1OT_AP_H_

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ap_int.h"
#pragma GCC diagnostic pop

#endif
