// l1ot HLS kernel — the scoring stages of docs/kernel.md as templates on a
// config struct (hls4ml nnet_utils style). The config struct, the named
// fixed-point types, the sorting network and the medoid ROM are generated into
// parameters.h by `l1ot export` (model/l1ot/export/hls.py); nothing here holds
// a model constant.
//
// Stages (docs/kernel.md):
//   0  unpack      43-bit Phase-2 word -> raw (pt, eta, phi) integers
//   a  to_working  x_a = rnd_shift(raw_a * M_a, S_a), common working LSB
//   b  sort        sorting network on the key {x_pt, N_OBJ-1-slot}, descending
//   c  distance    D_m = sum_i sum_a (x_ia - rom_m,i,a)^2, exact
//   d  argmin      balanced tree, ties to the lowest medoid index
//   e  score       min(D_min >> score_shift, 2^score_bits - 1)
//   f  trigger     score >= threshold
//
// Distance strategy CONFIG_T::strategy (parameters.h, -DL1OT_STRATEGY):
//   0  per-medoid squares: D_m = sum (x - c_m)^2, as listed above;
//   1  constant-matrix identity (the RTL l1ot_kernel_cm): D_m = sum x^2 + E_m with
//      E_m = sum c_m^2 - 2 <x, c_m>. sum x^2 is computed once (3 N_OBJ squares),
//      E_m is a constant matrix (the ROM) times x plus a constant (medoid_sq), so
//      its products are by constants (shift-add in fabric after unrolling, the
//      HLS counterpart of the da4ml graph). argmin over E_m equals argmin over
//      D_m (same tie rule: first minimum); exact in integers, bit-identical.
//
// Reuse factor R = CONFIG_T::reuse_factor (hls4ml convention): the K medoid
// distances are computed n_parallel = ceil(K/R) at a time over R steps and the
// top function is pipelined with II = R. R = 1 is fully parallel, II = 1.
// Every R gives bit-identical results (same arithmetic, same tie rule).
#ifndef L1OT_KERNEL_H_
#define L1OT_KERNEL_H_

#include "l1ot_ap.h"
#include "l1ot_common.h"

namespace l1ot {

// Raw input object after unpacking (stage 0): integers in the input LSBs.
template <class CONFIG_T> struct raw_obj {
    typename CONFIG_T::raw_pt_t pt;   // pT, input LSB (1/32 GeV for Phase-2)
    typename CONFIG_T::raw_eta_t eta; // eta, input LSB (pi/2^12 for Phase-2)
    typename CONFIG_T::raw_phi_t phi; // phi, input LSB (pi/2^12 for Phase-2)
};

// Working object (stages a, b): coordinates in the working LSB 2^-F metric
// units plus the slot tag N_OBJ-1-slot that makes sort keys distinct.
template <class CONFIG_T> struct work_obj {
    typename CONFIG_T::xpt_t pt;   // pT, working LSB (GeV)
    typename CONFIG_T::xeta_t eta; // eta, working LSB (rad)
    typename CONFIG_T::xphi_t phi; // phi, working LSB (rad)
    typename CONFIG_T::tag_t tag;  // N_OBJ - 1 - input slot

    // Composite sort key {x_pt, tag}: unsigned, distinct for distinct slots.
    typename CONFIG_T::key_t key() const {
        #pragma HLS INLINE
        typename CONFIG_T::key_t k = pt;
        k = (k << CONFIG_T::tag_bits) | typename CONFIG_T::key_t(tag);
        return k;
    }
};

// Compare-exchange element of the sorting network, wires (i, j) with i < j:
// the larger key goes to the lower wire `a`; all fields travel together.
// The generated sorter (parameters.h) calls this layer by layer.
template <class T> void compare_exchange(T &a, T &b) {
    #pragma HLS INLINE
    if (b.key() > a.key()) {
        T t = a;
        a = b;
        b = t;
    }
}

#ifndef __SYNTHESIS__
// Host-only counters (C simulation): saturations of the output score.
struct kernel_stats {
    unsigned long events;
    unsigned long score_saturations;
};
inline kernel_stats &stats() {
    static kernel_stats s = {0, 0};
    return s;
}
#endif

// ---------------------------------------------------------------------------
// Stage 0: unpack the input words {pt, eta, phi} (pt in the high bits).
// ---------------------------------------------------------------------------
template <class CONFIG_T>
void unpack(const typename CONFIG_T::word_t in[CONFIG_T::n_obj], raw_obj<CONFIG_T> raw[CONFIG_T::n_obj]) {
    #pragma HLS INLINE
    const int phi_lo = 0;
    const int eta_lo = CONFIG_T::phi_bits;
    const int pt_lo = CONFIG_T::phi_bits + CONFIG_T::eta_bits;
Unpack:
    for (unsigned i = 0; i < CONFIG_T::n_obj; i++) {
        #pragma HLS UNROLL
        typename CONFIG_T::raw_pt_t pt = in[i].range(pt_lo + CONFIG_T::pt_bits - 1, pt_lo);
        ap_uint<CONFIG_T::eta_bits> eta_bits = in[i].range(eta_lo + CONFIG_T::eta_bits - 1, eta_lo);
        ap_uint<CONFIG_T::phi_bits> phi_bits = in[i].range(phi_lo + CONFIG_T::phi_bits - 1, phi_lo);
        raw[i].pt = pt;
        // same width: the bit pattern is reinterpreted as two's complement
        raw[i].eta = typename CONFIG_T::raw_eta_t(eta_bits);
        raw[i].phi = typename CONFIG_T::raw_phi_t(phi_bits);
    }
}

// ---------------------------------------------------------------------------
// Stage a: bring the three axes to the working LSB, attach the slot tag.
// ---------------------------------------------------------------------------
template <class CONFIG_T>
void to_working(const raw_obj<CONFIG_T> raw[CONFIG_T::n_obj], work_obj<CONFIG_T> x[CONFIG_T::n_obj]) {
    #pragma HLS INLINE
Working:
    for (unsigned i = 0; i < CONFIG_T::n_obj; i++) {
        #pragma HLS UNROLL
        typename CONFIG_T::pt_prod_t ppt = raw[i].pt;
        typename CONFIG_T::eta_prod_t peta = raw[i].eta;
        typename CONFIG_T::phi_prod_t pphi = raw[i].phi;
        ppt *= typename CONFIG_T::pt_prod_t(CONFIG_T::pt_mult);
        peta *= typename CONFIG_T::eta_prod_t(CONFIG_T::eta_mult);
        pphi *= typename CONFIG_T::phi_prod_t(CONFIG_T::phi_mult);
        x[i].pt = rnd_shift<CONFIG_T::pt_shift>(ppt);
        x[i].eta = rnd_shift<CONFIG_T::eta_shift>(peta);
        x[i].phi = rnd_shift<CONFIG_T::phi_shift>(pphi);
        x[i].tag = CONFIG_T::n_obj - 1 - i;
    }
}

// ---------------------------------------------------------------------------
// Stage b: sorting network generated from the comparator-list JSON.
// ---------------------------------------------------------------------------
template <class CONFIG_T> void sort_objects(work_obj<CONFIG_T> x[CONFIG_T::n_obj]) {
    #pragma HLS INLINE
    CONFIG_T::sorter::sort(x);
}

// ---------------------------------------------------------------------------
// Stage c: exact squared Euclidean distance to one medoid embedding.
// ---------------------------------------------------------------------------
template <class CONFIG_T>
typename CONFIG_T::dist_t medoid_distance(const work_obj<CONFIG_T> x[CONFIG_T::n_obj],
                                          const typename CONFIG_T::rom_t rom_pt[CONFIG_T::n_obj],
                                          const typename CONFIG_T::rom_t rom_eta[CONFIG_T::n_obj],
                                          const typename CONFIG_T::rom_t rom_phi[CONFIG_T::n_obj]) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::diff_t diff_t;
    typedef typename CONFIG_T::dist_t dist_t;
    dist_t terms[3 * CONFIG_T::n_obj];
    #pragma HLS ARRAY_PARTITION variable=terms complete
DistObj:
    for (unsigned i = 0; i < CONFIG_T::n_obj; i++) {
        #pragma HLS UNROLL
        const diff_t dpt = diff_t(x[i].pt) - diff_t(typename CONFIG_T::xpt_t(rom_pt[i]));
        const diff_t deta = diff_t(x[i].eta) - diff_t(typename CONFIG_T::xeta_t(rom_eta[i]));
        const diff_t dphi = diff_t(x[i].phi) - diff_t(typename CONFIG_T::xphi_t(rom_phi[i]));
        terms[3 * i + 0] = typename CONFIG_T::sq_t(dpt * dpt);
        terms[3 * i + 1] = typename CONFIG_T::sq_t(deta * deta);
        terms[3 * i + 2] = typename CONFIG_T::sq_t(dphi * dphi);
    }
    Op_add<dist_t> add;
    return reduce<dist_t, 3 * CONFIG_T::n_obj, Op_add<dist_t> >(terms, add);
}

// ---------------------------------------------------------------------------
// Stages c + d: distances to all K medoids and their argmin.
// n_parallel = ceil(K/R) distances per step, R steps; a balanced Op_argmin
// tree per step, then a running Op_argmin over the steps (earlier steps hold
// lower indices, so ties still go to the lowest index).
// ---------------------------------------------------------------------------
template <class CONFIG_T>
dist_idx<typename CONFIG_T::dist_t, typename CONFIG_T::idx_t>
nearest_medoid(const work_obj<CONFIG_T> x[CONFIG_T::n_obj],
               const typename CONFIG_T::rom_t rom_pt[CONFIG_T::n_medoid][CONFIG_T::n_obj],
               const typename CONFIG_T::rom_t rom_eta[CONFIG_T::n_medoid][CONFIG_T::n_obj],
               const typename CONFIG_T::rom_t rom_phi[CONFIG_T::n_medoid][CONFIG_T::n_obj]) {
    #pragma HLS INLINE
    typedef dist_idx<typename CONFIG_T::dist_t, typename CONFIG_T::idx_t> cand_t;
    const unsigned P = CONFIG_T::n_parallel;
    Op_argmin<cand_t> op;
    cand_t best;
    best.dist = 0;
    best.idx = 0;
    best.valid = false;
MedoidStep:
    for (unsigned r = 0; r < CONFIG_T::reuse_factor; r++) {
        cand_t cand[CONFIG_T::n_parallel];
        #pragma HLS ARRAY_PARTITION variable=cand complete
    MedoidPar:
        for (unsigned p = 0; p < P; p++) {
            #pragma HLS UNROLL
            const unsigned m = r * P + p;
            cand[p].idx = m;
            if (m < CONFIG_T::n_medoid) {
                cand[p].dist = medoid_distance<CONFIG_T>(x, rom_pt[m], rom_eta[m], rom_phi[m]);
                cand[p].valid = true;
            } else {
                cand[p].dist = 0;
                cand[p].valid = false;
            }
        }
        best = op(best, reduce<cand_t, CONFIG_T::n_parallel, Op_argmin<cand_t> >(cand, op));
    }
    return best;
}

// ---------------------------------------------------------------------------
// Strategy 1, stage c: sum x^2 (once per event) and E_m = sum c_m^2 - 2 <x, c_m>.
// ---------------------------------------------------------------------------
template <class CONFIG_T> typename CONFIG_T::dist_t sum_squares(const work_obj<CONFIG_T> x[CONFIG_T::n_obj]) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::dist_t dist_t;
    dist_t terms[3 * CONFIG_T::n_obj];
    #pragma HLS ARRAY_PARTITION variable=terms complete
SumSqObj:
    for (unsigned i = 0; i < CONFIG_T::n_obj; i++) {
        #pragma HLS UNROLL
        terms[3 * i + 0] = typename CONFIG_T::sq_t(typename CONFIG_T::diff_t(x[i].pt) * typename CONFIG_T::diff_t(x[i].pt));
        terms[3 * i + 1] = typename CONFIG_T::sq_t(typename CONFIG_T::diff_t(x[i].eta) * typename CONFIG_T::diff_t(x[i].eta));
        terms[3 * i + 2] = typename CONFIG_T::sq_t(typename CONFIG_T::diff_t(x[i].phi) * typename CONFIG_T::diff_t(x[i].phi));
    }
    Op_add<dist_t> add;
    return reduce<dist_t, 3 * CONFIG_T::n_obj, Op_add<dist_t> >(terms, add);
}

template <class CONFIG_T>
typename CONFIG_T::cm_t medoid_cm(const work_obj<CONFIG_T> x[CONFIG_T::n_obj],
                                  const typename CONFIG_T::rom_t rom_pt[CONFIG_T::n_obj],
                                  const typename CONFIG_T::rom_t rom_eta[CONFIG_T::n_obj],
                                  const typename CONFIG_T::rom_t rom_phi[CONFIG_T::n_obj], long long rom_sq) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::prod_t prod_t;
    typedef typename CONFIG_T::cm_t cm_t;
    cm_t terms[3 * CONFIG_T::n_obj];
    #pragma HLS ARRAY_PARTITION variable=terms complete
CmObj:
    for (unsigned i = 0; i < CONFIG_T::n_obj; i++) {
        #pragma HLS UNROLL
        // x times a ROM constant: a constant multiplication after unrolling
        terms[3 * i + 0] = prod_t(x[i].pt) * prod_t(typename CONFIG_T::xpt_t(rom_pt[i]));
        terms[3 * i + 1] = prod_t(x[i].eta) * prod_t(typename CONFIG_T::xeta_t(rom_eta[i]));
        terms[3 * i + 2] = prod_t(x[i].phi) * prod_t(typename CONFIG_T::xphi_t(rom_phi[i]));
    }
    Op_add<cm_t> add;
    const cm_t dot = reduce<cm_t, 3 * CONFIG_T::n_obj, Op_add<cm_t> >(terms, add);
    return cm_t(rom_sq) - cm_t(dot << 1);
}

// Strategy 1, stages c + d: argmin over E_m (ties to the lowest index), D = sum x^2 + E_min.
template <class CONFIG_T>
dist_idx<typename CONFIG_T::dist_t, typename CONFIG_T::idx_t>
nearest_medoid_cm(const work_obj<CONFIG_T> x[CONFIG_T::n_obj],
                  const typename CONFIG_T::rom_t rom_pt[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                  const typename CONFIG_T::rom_t rom_eta[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                  const typename CONFIG_T::rom_t rom_phi[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                  const long long rom_sq[CONFIG_T::n_medoid]) {
    #pragma HLS INLINE
    typedef dist_idx<typename CONFIG_T::cm_t, typename CONFIG_T::idx_t> cand_t;
    const unsigned P = CONFIG_T::n_parallel;
    Op_argmin<cand_t> op;
    cand_t best;
    best.dist = 0;
    best.idx = 0;
    best.valid = false;
    const typename CONFIG_T::dist_t sx = sum_squares<CONFIG_T>(x);
CmStep:
    for (unsigned r = 0; r < CONFIG_T::reuse_factor; r++) {
        cand_t cand[CONFIG_T::n_parallel];
        #pragma HLS ARRAY_PARTITION variable=cand complete
    CmPar:
        for (unsigned p = 0; p < P; p++) {
            #pragma HLS UNROLL
            const unsigned m = r * P + p;
            const bool live = m < CONFIG_T::n_medoid;   // padding slots (m >= K) never win
            cand[p].idx = m;
            cand[p].dist = live ? medoid_cm<CONFIG_T>(x, rom_pt[m], rom_eta[m], rom_phi[m], rom_sq[m])
                                : typename CONFIG_T::cm_t(0);
            cand[p].valid = live;
        }
        const cand_t step_best = reduce<cand_t, CONFIG_T::n_parallel, Op_argmin<cand_t> >(cand, op);
        best = op(best, step_best);   // earlier steps hold lower indices
    }
    dist_idx<typename CONFIG_T::dist_t, typename CONFIG_T::idx_t> out;
    out.dist = typename CONFIG_T::dist_t(typename CONFIG_T::cm_t(sx) + best.dist);   // exact: 0 <= D <= d_max
    out.idx = best.idx;
    out.valid = best.valid;
    return out;
}

// ---------------------------------------------------------------------------
// Stages e + f: output score (truncating shift, saturation) and trigger bit
// (always 0 when the model carries no threshold).
// ---------------------------------------------------------------------------
template <class CONFIG_T>
void score_and_trigger(typename CONFIG_T::dist_t dmin, typename CONFIG_T::score_t &score, bool &trig) {
    #pragma HLS INLINE
    const typename CONFIG_T::dist_t shifted = dmin >> CONFIG_T::score_shift;
    if (CONFIG_T::score_can_saturate && shifted > typename CONFIG_T::dist_t(CONFIG_T::score_max)) {
        score = typename CONFIG_T::score_t(CONFIG_T::score_max);
#ifndef __SYNTHESIS__
        stats().score_saturations++;
#endif
    } else {
        score = typename CONFIG_T::score_t(shifted);
    }
    trig = CONFIG_T::has_threshold && score >= typename CONFIG_T::score_t(CONFIG_T::threshold);
}

// ---------------------------------------------------------------------------
// The whole kernel: one event in, score / argmin index / trigger bit out.
// ---------------------------------------------------------------------------
template <class CONFIG_T>
void score_event(const typename CONFIG_T::word_t in[CONFIG_T::n_obj], typename CONFIG_T::score_t &score,
                 typename CONFIG_T::idx_t &idx, bool &trig,
                 const typename CONFIG_T::rom_t rom_pt[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                 const typename CONFIG_T::rom_t rom_eta[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                 const typename CONFIG_T::rom_t rom_phi[CONFIG_T::n_medoid][CONFIG_T::n_obj],
                 const long long rom_sq[CONFIG_T::n_medoid]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    // R > 1: the multipliers are shared over the R steps (hls4ml multiplier_limit)
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    raw_obj<CONFIG_T> raw[CONFIG_T::n_obj];
    #pragma HLS ARRAY_PARTITION variable=raw complete
    work_obj<CONFIG_T> x[CONFIG_T::n_obj];
    #pragma HLS ARRAY_PARTITION variable=x complete

    unpack<CONFIG_T>(in, raw);
    to_working<CONFIG_T>(raw, x);
    sort_objects<CONFIG_T>(x);
    const dist_idx<typename CONFIG_T::dist_t, typename CONFIG_T::idx_t> best =
        CONFIG_T::strategy == 1 ? nearest_medoid_cm<CONFIG_T>(x, rom_pt, rom_eta, rom_phi, rom_sq)
                                : nearest_medoid<CONFIG_T>(x, rom_pt, rom_eta, rom_phi);
    idx = best.idx;
    score_and_trigger<CONFIG_T>(best.dist, score, trig);
#ifndef __SYNTHESIS__
    stats().events++;
#endif
}

} // namespace l1ot

#endif
