// l1ot CMSSW emulator library: the HLS kernel (hls/firmware, parameters.h of one
// export) behind the hls4mlEmulator interface (docs/emulator.md).
//
// Built by `make emulator` (hls/run_emulator.py) into lib<name>.so from the same
// sources as `make csim`: l1ot.cpp + the generated parameters.h, and the generated
// GT layout l1ot_gt.h (from model/l1ot/kernel/configs/gt_words.json). predict() is
// the synthesis top l1ot_score() itself, so the library is bit-exact with the HLS
// C simulation and, through the golden vectors, with the Python model and the RTL.
//
// Exported symbols (everything else is hidden):
//   create_model, destroy_model   the hls4mlEmulator factory (extern "C")
//   l1ot_emulator_info            "key value" pairs: name, config / model / layout SHA-256, K, n_trig
//   l1ot_emulate                  plain-C batch entry for ctypes: n events of 19 GT words (2 uint64
//                                 limbs each) -> n x {score, idx, trig}; it goes through
//                                 create_model / prepare_input / predict / read_result
#include <any>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "hls4ml/emulator.h"
#include "l1ot.h"
#include "l1ot_emulator.h"
#include "l1ot_gt.h"

#ifndef L1OT_EMULATOR_NAME
#error "L1OT_EMULATOR_NAME must be defined (hls/run_emulator.py sets it from the export)"
#endif

#define L1OT_EXPORT extern "C" __attribute__((visibility("default")))

static_assert(l1ot_emu::n_obj == N_OBJ, "l1ot_emulator.h and parameters.h disagree on the number of slots");
static_assert(l1ot_gt::n_obj == N_OBJ, "l1ot_gt.h and parameters.h disagree on the number of slots");

namespace {

class l1ot_model : public hls4mlEmulator::Model {
  private:
    obj_word_t in_[N_OBJ];
    score_t score_;
    idx_t idx_;
    bool trig_;
    bool ready_;

  public:
    l1ot_model() : score_(0), idx_(0), trig_(false), ready_(false) {
        for (unsigned s = 0; s < N_OBJ; s++) in_[s] = 0;
    }

    // std::any holding `const l1ot_emu::gt_word *` (or non-const) to N_OBJ GT object words
    void prepare_input(std::any input) override {
        const l1ot_emu::gt_word *w = nullptr;
        if (const auto *p = std::any_cast<const l1ot_emu::gt_word *>(&input)) {
            w = *p;
        } else if (const auto *q = std::any_cast<l1ot_emu::gt_word *>(&input)) {
            w = *q;
        } else {
            throw std::invalid_argument(std::string("l1ot emulator " L1OT_EMULATOR_NAME ": prepare_input expects "
                                                    "const l1ot_emu::gt_word* (19 GT object words), got ") +
                                        (input.has_value() ? input.type().name() : "an empty std::any"));
        }
        if (w == nullptr) throw std::invalid_argument("l1ot emulator " L1OT_EMULATOR_NAME ": prepare_input got a null pointer");
        for (unsigned s = 0; s < N_OBJ; s++) in_[s] = obj_word_t(l1ot_gt::kernel_word(w[s].lo, s));
        ready_ = true;
    }

    void predict() override {
        if (!ready_) throw std::logic_error("l1ot emulator " L1OT_EMULATOR_NAME ": predict() before prepare_input()");
        l1ot_score(in_, score_, idx_, trig_);
    }

    // std::any holding `l1ot_emu::result *`
    void read_result(std::any result) override {
        auto *p = std::any_cast<l1ot_emu::result *>(&result);
        if (p == nullptr || *p == nullptr)
            throw std::invalid_argument(std::string("l1ot emulator " L1OT_EMULATOR_NAME ": read_result expects "
                                                    "l1ot_emu::result*, got ") +
                                        (result.has_value() ? result.type().name() : "an empty std::any"));
        (*p)->score = static_cast<uint32_t>(score_.to_uint64());
        (*p)->idx = static_cast<uint32_t>(idx_.to_uint64());
        (*p)->n_trig = 1;
        (*p)->trig = trig_ ? 1u : 0u;
    }
};

const char info_text[] = "name " L1OT_EMULATOR_NAME "  config_sha256 " L1OT_CONFIG_SHA256 "  model_sha256 " L1OT_MODEL_SHA256
                         "  rom_sha256 " L1OT_ROM_SHA256 "  transport " L1OT_TRANSPORT;

} // namespace

L1OT_EXPORT hls4mlEmulator::Model *create_model() { return new l1ot_model; }

L1OT_EXPORT void destroy_model(hls4mlEmulator::Model *m) { delete m; }

L1OT_EXPORT const char *l1ot_emulator_info() {
    static const std::string s = std::string(info_text) + "  layout_sha256 " + l1ot_gt::layout_sha256 + "  K " +
                                 std::to_string(N_MEDOID) + "  n_obj " + std::to_string(N_OBJ) + "  n_trig 1";
    return s.c_str();
}

// limbs: n_events * N_OBJ * 2 uint64 (lo, hi per slot); out: n_events * 3 uint32 (score, idx, trig).
// Returns 0, or -1 on an exception (its text in l1ot_emulate_error()).
static std::string last_error;

L1OT_EXPORT int l1ot_emulate(const uint64_t *limbs, size_t n_events, uint32_t *out) {
    try {
        std::unique_ptr<hls4mlEmulator::Model, void (*)(hls4mlEmulator::Model *)> m(create_model(), destroy_model);
        for (size_t e = 0; e < n_events; e++) {
            l1ot_emu::gt_word w[N_OBJ];
            for (unsigned s = 0; s < N_OBJ; s++) {
                w[s].lo = limbs[(e * N_OBJ + s) * 2];
                w[s].hi = limbs[(e * N_OBJ + s) * 2 + 1];
            }
            l1ot_emu::result r;
            m->prepare_input(static_cast<const l1ot_emu::gt_word *>(w));
            m->predict();
            m->read_result(&r);
            out[e * 3 + 0] = r.score;
            out[e * 3 + 1] = r.idx;
            out[e * 3 + 2] = r.trig & 1u;
        }
    } catch (const std::exception &exc) {
        last_error = exc.what();
        return -1;
    }
    return 0;
}

L1OT_EXPORT const char *l1ot_emulate_error() { return last_error.c_str(); }
