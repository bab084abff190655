// l1ot HLS kernel — common building blocks: rounding shift, balanced reduce tree,
// min/argmin functor.
//
// Style follows hls4ml nnet_utils (nnet_common.h): everything is a template
// on the element type / size, small functions are INLINE, loops are labelled and fully
// unrolled so the tree is built at synthesis time. No recursion (the tree is
// built level by level with constant trip counts).
#ifndef L1OT_COMMON_H_
#define L1OT_COMMON_H_

#include "l1ot_ap.h"

// Ceiling division, usable in constant expressions: ceil(n / d).
#define L1OT_DIV_ROUNDUP(n, d) (((n) + (d) - 1) / (d))

namespace l1ot {

// ---------------------------------------------------------------------------
// Rounding right shift (docs/kernel.md "rnd_shift"):
//   rnd_shift(v, S) = (v + 2^(S-1)) >> S  for S > 0, v for S = 0
// i.e. ap_fixed AP_RND (round half towards +inf). T must hold v + 2^(S-1).
// A struct (partial specialisation on S) keeps S = 0 free of a negative shift.
// ---------------------------------------------------------------------------
template <class T, int S> struct rnd_shift_impl {
    static T run(T v) {
        #pragma HLS INLINE
        return (v + (T(1) << (S - 1))) >> S;
    }
};

template <class T> struct rnd_shift_impl<T, 0> {
    static T run(T v) {
        #pragma HLS INLINE
        return v;
    }
};

template <int S, class T> T rnd_shift(T v) {
    #pragma HLS INLINE
    return rnd_shift_impl<T, S>::run(v);
}

// ---------------------------------------------------------------------------
// Balanced binary reduce tree over N fully-unrolled inputs.
//
// Level l combines element i with element i + 2^l for i a multiple of 2^(l+1):
// the left operand always holds the lower indices, so an order-sensitive
// operator (argmin with ties to the lowest index) gives the same answer as a
// left-to-right scan. Depth ceil(log2 N).
// ---------------------------------------------------------------------------
template <class T, int N, class Op> T reduce(const T x[N], Op op) {
    #pragma HLS INLINE
    T buf[N];
    #pragma HLS ARRAY_PARTITION variable=buf complete
ReduceCopy:
    for (int i = 0; i < N; i++) {
        #pragma HLS UNROLL
        buf[i] = x[i];
    }
ReduceLevel:
    for (int stride = 1; stride < N; stride *= 2) {
        #pragma HLS UNROLL
    ReducePair:
        for (int i = 0; i < N; i += 2 * stride) {
            #pragma HLS UNROLL
            if (i + stride < N) buf[i] = op(buf[i], buf[i + stride]);
        }
    }
    return buf[0];
}

// Sum functor (hls4ml Op_add).
template <class T> struct Op_add {
    T operator()(T a, T b) const {
        #pragma HLS INLINE
        return a + b;
    }
};

// ---------------------------------------------------------------------------
// Candidate of the argmin: squared distance, medoid index and a valid flag
// (invalid = padding of the last reuse step when R does not divide K).
// ---------------------------------------------------------------------------
template <class dist_T, class idx_T> struct dist_idx {
    dist_T dist; // squared distance, working LSB^2
    idx_T idx;   // medoid index
    bool valid;  // false for padding slots
};

// Op_min for argmin: keeps the left operand (lower indices) unless the right
// one is valid and strictly smaller -> ties go to the lowest index.
template <class T> struct Op_argmin {
    T operator()(T a, T b) const {
        #pragma HLS INLINE
        const bool take_b = b.valid && (!a.valid || b.dist < a.dist);
        return take_b ? b : a;
    }
};

} // namespace l1ot

#endif
