// l1ot HLS kernel — top-level function (synthesis top: l1ot_score).
#include "l1ot.h"

void l1ot_score(const obj_word_t in[N_OBJ], score_t &score, idx_t &idx, bool &trig) {
    #pragma HLS ARRAY_PARTITION variable=in complete
    #pragma HLS INTERFACE ap_vld port=in,score,idx,trig
    #pragma HLS PIPELINE II=config_l1ot::reuse_factor

    l1ot::score_event<config_l1ot>(in, score, idx, trig, medoid_pt, medoid_eta, medoid_phi, medoid_sq);
}

void l1ot_score_graded(const obj_word_t in[N_OBJ], const score_t thr[L1OT_N_THR], score_t &score, idx_t &idx,
                       bool &trig, trig_bits_t &bits) {
    #pragma HLS ARRAY_PARTITION variable=in complete
    #pragma HLS ARRAY_PARTITION variable=thr complete
    #pragma HLS INTERFACE ap_vld port=in,score,idx,trig,bits
    #pragma HLS INTERFACE ap_none port=thr
    #pragma HLS PIPELINE II=config_l1ot::reuse_factor

    l1ot::score_event<config_l1ot>(in, score, idx, trig, medoid_pt, medoid_eta, medoid_phi, medoid_sq);
    l1ot::graded_bits<L1OT_N_THR, score_t>(score, thr, bits);
}
