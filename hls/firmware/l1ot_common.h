// l1ot HLS kernel — common building blocks: rounding shift, balanced reduce tree,
// min/argmin functor.
//
// Style follows hls4ml nnet_utils (nnet_common.h): everything is a template
// on the element type / size, small functions are INLINE, loops are labelled and fully
// unrolled. The reduce tree is built by template recursion at compile time, as
// hls4ml's nnet::reduce, through struct specialisations (the form UG1399 gives for
// recursion in HLS): no loop with a doubling stride for the tool to unroll, and no
// run-time recursion.
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
// Balanced binary reduce tree over N inputs (hls4ml nnet::reduce).
//
// The first pow2(floorlog2(N - 1)) elements go to the left subtree, the rest to
// the right one: the left operand of every node holds the lower indices, so an
// order-sensitive operator (argmin with ties to the lowest index) gives the same
// answer as a left-to-right scan. Depth ceil(log2 N). Compile-time recursion on N,
// ended by the specialisations N = 1 and N = 2.
// ---------------------------------------------------------------------------
// pow2(floorlog2(n - 1)) of hls4ml: the largest power of two below n (n >= 2)
constexpr int reduce_left_n(int n) {
    int p = 1;
    for (int i = 0; i < 31 && 2 * p < n; i++) p *= 2;
    return p;
}

template <class T, int N, class Op> struct reduce_tree {
    static const int left_n = reduce_left_n(N);
    static T run(const T *x, Op op) {
        #pragma HLS INLINE
        return op(reduce_tree<T, left_n, Op>::run(x, op), reduce_tree<T, N - left_n, Op>::run(x + left_n, op));
    }
};

template <class T, class Op> struct reduce_tree<T, 2, Op> {
    static T run(const T *x, Op op) {
        #pragma HLS INLINE
        return op(x[0], x[1]);
    }
};

template <class T, class Op> struct reduce_tree<T, 1, Op> {
    static T run(const T *x, Op) {
        #pragma HLS INLINE
        return x[0];
    }
};

template <class T, int N, class Op> T reduce(const T x[N], Op op) {
    #pragma HLS INLINE
    return reduce_tree<T, N, Op>::run(x, op);
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
