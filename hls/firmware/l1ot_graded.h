// l1ot HLS kernel — graded trigger bits from the one score (docs/kernel.md, docs/firmware.md).
//
//   bits[i] = score >= thr[i],  i = 0 .. N_THR-1
//
// The thresholds are top-level inputs of l1ot_score_graded (on the board: the
// register bank's thresholds in force); N_THR defaults to 8 (-DL1OT_N_THR=<N>).
#ifndef L1OT_GRADED_H_
#define L1OT_GRADED_H_

#include "l1ot_ap.h"

#ifndef L1OT_N_THR
#define L1OT_N_THR 8
#endif

namespace l1ot {

template <unsigned N_THR, class score_T>
void graded_bits(const score_T &score, const score_T thr[N_THR], ap_uint<N_THR> &bits) {
    #pragma HLS INLINE
    ap_uint<N_THR> b = 0;
GradedLoop:
    for (unsigned i = 0; i < N_THR; i++) {
        #pragma HLS UNROLL
        b[i] = score >= thr[i];
    }
    bits = b;
}

} // namespace l1ot

#endif
