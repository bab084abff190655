// l1ot HLS kernel — C simulation / co-simulation testbench.
//
// Reads the golden vectors written by `l1ot export` (docs/kernel.md, "Golden
// vectors"), runs l1ot_score() on every event and compares score, index and
// trigger bit exactly. On a mismatch the first events that differ are printed
// with every stage of the kernel (unpacked inputs, working coordinates, sorted
// order, the K distances, the minimum).
//
// Usage: l1ot_csim [golden.txt] [--max-print N] [--quiet]
//   default golden file: tb_data/golden.txt (Vitis HLS project layout)
// Output: a closing line "<N> passed, <M> failed".
// Exit code: 0 all passed, 1 any mismatch, 2 unreadable or malformed input.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "l1ot.h"

#ifndef __SYNTHESIS__

namespace {

struct golden_event {
    unsigned long line;
    unsigned long long word[N_OBJ];
    unsigned long long score;
    unsigned long long idx;
    int trig;
    std::string comment;
};

[[noreturn]] void input_error(const std::string &file, unsigned long line, const std::string &msg) {
    std::cerr << "l1ot csim: error: " << file;
    if (line) std::cerr << ":" << line;
    std::cerr << ": " << msg << std::endl;
    std::exit(2);
}

bool parse_hex(const std::string &tok, unsigned long long &out) {
    if (tok.empty() || tok.size() > 16) return false;
    for (char c : tok)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    out = std::strtoull(tok.c_str(), nullptr, 16);
    return true;
}

// Header line "# config_sha256 <hex>  model_sha256 <hex>  rom_sha256 <hex>  K <int>
// threshold <int> ..." (key-value pairs): every key parameters.h also knows must
// agree, so stale golden vectors or a stale parameters.h are caught.
void check_header(const std::string &file, unsigned long lineno, const std::string &text) {
    std::istringstream ss(text);
    std::string key, val;
    typedef config_l1ot C;
    while (ss >> key) {
        if (!(ss >> val)) break;
        std::string mine;
        if (key == "config_sha256") mine = L1OT_CONFIG_SHA256;
        else if (key == "model_sha256") mine = L1OT_MODEL_SHA256;
        else if (key == "rom_sha256") mine = L1OT_ROM_SHA256;
        else if (key == "network") mine = L1OT_NETWORK_NAME;
        else if (key == "transport") mine = L1OT_TRANSPORT;
        else if (key == "K") mine = std::to_string(N_MEDOID);
        else if (key == "n_obj") mine = std::to_string(N_OBJ);
        else if (key == "word_bits") mine = std::to_string(C::word_t::width);
        else if (key == "score_bits") mine = std::to_string(C::score_bits);
        else if (key == "score_shift") mine = std::to_string(C::score_shift);
        else if (key == "idx_bits") mine = std::to_string(C::idx_t::width);
        else if (key == "threshold") {
            mine = C::has_threshold ? std::to_string(C::threshold) : std::string("none");
            if (!C::has_threshold && (val == "None" || val == "-" || val == "null")) val = "none";
        } else
            continue;
        if (mine.empty()) continue; // not recorded in parameters.h
        if (val != mine)
            input_error(file, lineno, "header field " + key + " = " + val + " but parameters.h has " + mine +
                                          ": golden vectors and parameters.h come from different exports");
    }
}

std::vector<golden_event> read_golden(const std::string &file) {
    std::ifstream in(file.c_str());
    if (!in) input_error(file, 0, "cannot open golden-vector file");
    std::vector<golden_event> events;
    std::string line;
    unsigned long lineno = 0;
    const unsigned long long word_max = (1ULL << config_l1ot::word_t::width) - 1;
    while (std::getline(in, line)) {
        lineno++;
        const size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        if (line[first] == '#') {
            check_header(file, lineno, line.substr(first + 1));
            continue;
        }
        golden_event ev;
        ev.line = lineno;
        const size_t hash = line.find('#');
        if (hash != std::string::npos) {
            ev.comment = line.substr(hash + 1);
            line = line.substr(0, hash);
        }
        std::istringstream ss(line);
        std::vector<std::string> tok;
        std::string t;
        while (ss >> t) tok.push_back(t);
        if (tok.size() != N_OBJ + 3)
            input_error(file, lineno, "expected " + std::to_string(N_OBJ + 3) + " fields (" +
                                          std::to_string(N_OBJ) + " words, score, idx, trig), got " +
                                          std::to_string(tok.size()));
        for (unsigned i = 0; i < N_OBJ; i++) {
            if (!parse_hex(tok[i], ev.word[i]) || ev.word[i] > word_max)
                input_error(file, lineno, "slot " + std::to_string(i) + ": bad input word '" + tok[i] + "' (" +
                                              std::to_string(config_l1ot::word_t::width) + "-bit hex expected)");
        }
        if (!parse_hex(tok[N_OBJ], ev.score) || ev.score > config_l1ot::score_max)
            input_error(file, lineno, "bad score '" + tok[N_OBJ] + "'");
        if (!parse_hex(tok[N_OBJ + 1], ev.idx) || ev.idx >= N_MEDOID)
            input_error(file, lineno, "bad medoid index '" + tok[N_OBJ + 1] + "'");
        if (tok[N_OBJ + 2] != "0" && tok[N_OBJ + 2] != "1")
            input_error(file, lineno, "bad trigger bit '" + tok[N_OBJ + 2] + "' (0 or 1 expected)");
        ev.trig = tok[N_OBJ + 2] == "1";
        events.push_back(ev);
    }
    if (events.empty()) input_error(file, 0, "no golden vectors in file");
    return events;
}

// Re-run the stages one by one (same templates as the kernel) and print them.
void print_trace(const golden_event &ev, const obj_word_t in[N_OBJ]) {
    typedef config_l1ot C;
    l1ot::raw_obj<C> raw[N_OBJ];
    l1ot::work_obj<C> x[N_OBJ];
    l1ot::unpack<C>(in, raw);
    l1ot::to_working<C>(raw, x);
    std::printf("  stage 0/a  slot: word -> raw (pt, eta, phi) -> working (pt, eta, phi)\n");
    for (unsigned i = 0; i < N_OBJ; i++)
        std::printf("    %2u: %011llx -> (%lld, %lld, %lld) -> (%lld, %lld, %lld)\n", i, ev.word[i],
                    (long long)raw[i].pt.to_uint64(), (long long)raw[i].eta.to_int64(),
                    (long long)raw[i].phi.to_int64(), (long long)x[i].pt.to_uint64(), (long long)x[i].eta.to_int64(),
                    (long long)x[i].phi.to_int64());
    l1ot::sort_objects<C>(x);
    std::printf("  stage b    sorted position: slot (pt, eta, phi)\n");
    for (unsigned i = 0; i < N_OBJ; i++)
        std::printf("    %2u: slot %2u (%lld, %lld, %lld)\n", i, (unsigned)(N_OBJ - 1 - x[i].tag.to_uint()),
                    (long long)x[i].pt.to_uint64(), (long long)x[i].eta.to_int64(), (long long)x[i].phi.to_int64());
    std::printf("  stage c    distances D_m:");
    unsigned long long dmin = 0;
    unsigned amin = 0;
    for (unsigned m = 0; m < N_MEDOID; m++) {
        const unsigned long long d =
            l1ot::medoid_distance<C>(x, medoid_pt[m], medoid_eta[m], medoid_phi[m]).to_uint64();
        if (m % 8 == 0) std::printf("\n    [%2u]", m);
        std::printf(" %llu", d);
        if (m == 0 || d < dmin) {
            dmin = d;
            amin = m;
        }
    }
    std::printf("\n  stage d    D_min = %llu at medoid %u (scan)\n", dmin, amin);
}

} // namespace

int main(int argc, char **argv) {
    std::string golden = "tb_data/golden.txt";
    long max_print = 3;
    bool quiet = false;
    for (int a = 1; a < argc; a++) {
        const std::string arg = argv[a];
        if (arg == "--max-print" && a + 1 < argc) {
            max_print = std::strtol(argv[++a], nullptr, 10);
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "usage: " << argv[0] << " [golden.txt] [--max-print N] [--quiet]" << std::endl;
            return 2;
        } else {
            golden = arg;
        }
    }
    const std::vector<golden_event> events = read_golden(golden);
    if (!quiet)
        std::printf("l1ot csim: %s, K = %u, R = %u (%u distances per step), network %s, %zu vectors\n",
                    golden.c_str(), N_MEDOID, config_l1ot::reuse_factor, config_l1ot::n_parallel,
                    L1OT_NETWORK_NAME, events.size());

    unsigned long passed = 0, failed = 0;
    for (size_t e = 0; e < events.size(); e++) {
        const golden_event &ev = events[e];
        obj_word_t in[N_OBJ];
        for (unsigned i = 0; i < N_OBJ; i++) in[i] = obj_word_t(ev.word[i]);
        score_t score;
        idx_t idx;
        bool trig;
        l1ot_score(in, score, idx, trig);
        const bool ok = score.to_uint64() == ev.score && idx.to_uint64() == ev.idx && int(trig) == ev.trig;
        if (ok) {
            passed++;
            continue;
        }
        failed++;
        if ((long)failed <= max_print) {
            std::printf("MISMATCH event %zu (%s line %lu)%s%s\n", e, golden.c_str(), ev.line,
                        ev.comment.empty() ? "" : " #", ev.comment.c_str());
            std::printf("  expected score %llx idx %llx trig %d\n", ev.score, ev.idx, ev.trig);
            std::printf("  got      score %llx idx %llx trig %d\n", (unsigned long long)score.to_uint64(),
                        (unsigned long long)idx.to_uint64(), int(trig));
            print_trace(ev, in);
        }
    }
    if (!quiet)
        std::printf("score saturations: %lu of %lu events\n", l1ot::stats().score_saturations,
                    l1ot::stats().events);
    std::printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
