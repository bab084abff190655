// l1ot CMSSW emulator — the types passed through std::any (docs/emulator.md).
//
// A caller (a CMSSW condition, or hls/emulator/emulator_host.cpp) includes this
// header and "hls4ml/emulator.h", loads lib<name>.so through the hls4mlEmulator
// loader and calls
//
//   l1ot_emu::gt_word in[l1ot_emu::n_obj];        // slot 0 MET, 1-4 e/gamma, 5-8 mu, 9-18 jets
//   l1ot_emu::result out;
//   model->prepare_input(static_cast<const l1ot_emu::gt_word *>(in));
//   model->predict();
//   model->read_result(&out);                     // l1ot_emu::result *
//
// Input: the Phase-2 GT object word of every slot, as CMSSW's L1TGT_*::pack()
// returns it (L1Trigger/Phase2L1GT/plugins/L1GTEvaluationInterface.h): bits 0-63 in
// `lo`, bits 64-127 in `hi` (0 for 64-bit words). The common part (valid | pT | phi
// | eta, or valid | pT | phi | scalar sum for the MET slot) is read; valid = 0 makes
// the slot empty. Accepted std::any contents: `const l1ot_emu::gt_word *` or
// `l1ot_emu::gt_word *` (pointing to n_obj words). Anything else: prepare_input
// throws std::invalid_argument.
//
// Output: `l1ot_emu::result *` (a plain struct, the same for every export): the
// anomaly score (score_bits wide), the index of the nearest medoid and n_trig
// trigger bits in trig (bit t = trigger t; this kernel has one threshold, n_trig = 1).
#ifndef L1OT_EMULATOR_H_
#define L1OT_EMULATOR_H_

#include <cstdint>

namespace l1ot_emu {

static const unsigned n_obj = 19;

struct gt_word {
    uint64_t lo; // bits 0-63 of the GT object word
    uint64_t hi; // bits 64-127 (96- and 128-bit words; 0 otherwise)
};

struct result {
    uint32_t score;  // anomaly score, integer (docs/kernel.md stage e)
    uint32_t idx;    // index of the nearest medoid
    uint32_t n_trig; // number of trigger bits in trig
    uint32_t trig;   // bit t: trigger t (score >= threshold t)
};

} // namespace l1ot_emu

#endif
