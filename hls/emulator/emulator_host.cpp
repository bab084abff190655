// l1ot emulator host: loads an emulator library exactly as CMSSW's hls4mlEmulator
// ModelLoader does and runs every GT-word golden vector through it (docs/emulator.md).
//
//   dlopen("<name>.so", RTLD_LAZY | RTLD_LOCAL); dlsym "create_model", "destroy_model";
//   model = shared_ptr(create_model(), destroy_model);
//   per event: prepare_input(const l1ot_emu::gt_word *) -> predict() -> read_result(l1ot_emu::result *)
//
// Usage: emulator_host <name> <golden_gt.txt> [--max-print N] [--wrong-input]
//   <name>         the loader's model name: the library is "<name>.so" (a path, or a bare
//                  name found through LD_LIBRARY_PATH, as with dlopen)
//   --wrong-input  pass an input of the wrong type (std::vector<int>) to prepare_input
// Output: a closing line "<N> passed, <M> failed".
// Exit code: 0 all passed; 1 any mismatch; 2 a one-line error on stderr ("emulator_host:
// error: ...": library not loadable, symbol missing, unreadable golden file, golden
// vectors of another export, or an exception from the model, e.g. a wrong input type).
#include <dlfcn.h>

#include <any>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hls4ml/emulator.h"
#include "l1ot_emulator.h"

namespace {

[[noreturn]] void fail(const std::string &msg) {
    std::cerr << "emulator_host: error: " << msg << std::endl;
    std::exit(2);
}

struct event {
    unsigned long line;
    l1ot_emu::gt_word w[l1ot_emu::n_obj];
    unsigned long score, idx;
    unsigned trig;
    std::string tag;
};

bool parse_word(const std::string &t, l1ot_emu::gt_word &w) {
    if (t.empty() || t.size() > 32) return false;
    for (char c : t)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    const size_t n_lo = t.size() > 16 ? t.size() - 16 : 0;
    w.hi = n_lo ? std::strtoull(t.substr(0, n_lo).c_str(), nullptr, 16) : 0;
    w.lo = std::strtoull(t.substr(n_lo).c_str(), nullptr, 16);
    return true;
}

std::string header_value(const std::string &text, const std::string &key) {
    std::istringstream ss(text);
    std::string k, v;
    while (ss >> k >> v)
        if (k == key) return v;
    return "";
}

std::vector<event> read_golden(const std::string &file, std::string &header) {
    std::ifstream in(file.c_str());
    if (!in) fail(file + ": cannot open GT golden-vector file");
    std::vector<event> out;
    std::string line;
    unsigned long ln = 0;
    while (std::getline(in, line)) {
        ln++;
        const size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        if (line[first] == '#') {
            if (ln == 1 && line.find("GT-word golden vectors") == std::string::npos)
                fail(file + ":1: not a GT-word golden-vector file (golden_gt.txt of l1ot export)");
            if (ln == 2) header = line.substr(first + 1);
            continue;
        }
        event ev;
        ev.line = ln;
        const size_t hash = line.find('#');
        if (hash != std::string::npos) {
            ev.tag = line.substr(hash + 1);
            line = line.substr(0, hash);
        }
        std::istringstream ss(line);
        std::vector<std::string> tok;
        std::string t;
        while (ss >> t) tok.push_back(t);
        if (tok.size() != l1ot_emu::n_obj + 3)
            fail(file + ":" + std::to_string(ln) + ": expected " + std::to_string(l1ot_emu::n_obj + 3) + " fields, got " +
                 std::to_string(tok.size()));
        for (unsigned s = 0; s < l1ot_emu::n_obj; s++)
            if (!parse_word(tok[s], ev.w[s]))
                fail(file + ":" + std::to_string(ln) + ": slot " + std::to_string(s) + ": bad GT word '" + tok[s] + "'");
        ev.score = std::strtoul(tok[l1ot_emu::n_obj].c_str(), nullptr, 16);
        ev.idx = std::strtoul(tok[l1ot_emu::n_obj + 1].c_str(), nullptr, 16);
        ev.trig = tok[l1ot_emu::n_obj + 2] == "1";
        out.push_back(ev);
    }
    if (out.empty()) fail(file + ": no golden vectors in file");
    return out;
}

} // namespace

int main(int argc, char **argv) {
    std::string name, golden;
    long max_print = 3;
    bool wrong_input = false;
    for (int a = 1; a < argc; a++) {
        const std::string arg = argv[a];
        if (arg == "--max-print" && a + 1 < argc) max_print = std::strtol(argv[++a], nullptr, 10);
        else if (arg == "--wrong-input") wrong_input = true;
        else if (!arg.empty() && arg[0] == '-') fail("unknown option " + arg);
        else if (name.empty()) name = arg;
        else if (golden.empty()) golden = arg;
        else fail("usage: emulator_host <name> <golden_gt.txt> [--max-print N] [--wrong-input]");
    }
    if (name.empty() || golden.empty()) fail("usage: emulator_host <name> <golden_gt.txt> [--max-print N] [--wrong-input]");

    // --- the hls4mlEmulator ModelLoader, step by step
    const std::string lib = name + ".so";
    void *handle = dlopen(lib.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        fail("cannot load model library " + lib + ": " + (e ? e : "dlopen failed"));
    }
    dlerror();
    auto *create = reinterpret_cast<hls4mlEmulator::create_model_cls *>(dlsym(handle, "create_model"));
    if (dlerror() != nullptr || create == nullptr) fail(lib + " has no symbol 'create_model' (not an hls4mlEmulator model)");
    auto *destroy = reinterpret_cast<hls4mlEmulator::destroy_model_cls *>(dlsym(handle, "destroy_model"));
    if (dlerror() != nullptr || destroy == nullptr) fail(lib + " has no symbol 'destroy_model' (not an hls4mlEmulator model)");

    std::string header;
    const std::vector<event> events = read_golden(golden, header);
    // the library and the vectors must come from the same export (optional symbol of l1ot libraries)
    typedef const char *info_fn();
    if (auto *info = reinterpret_cast<info_fn *>(dlsym(handle, "l1ot_emulator_info"))) {
        const std::string lib_info = info();
        for (const char *key : {"config_sha256", "model_sha256", "rom_sha256", "layout_sha256"}) {
            const std::string g = header_value(header, key), l = header_value(lib_info, key);
            if (!g.empty() && !l.empty() && g != l)
                fail(golden + ": header " + key + " " + g.substr(0, 12) + " but " + lib + " was built with " +
                     l.substr(0, 12) + ": golden vectors and library come from different exports");
        }
    }

    unsigned long passed = 0, failed = 0;
    try {
        std::shared_ptr<hls4mlEmulator::Model> model(create(), [destroy](hls4mlEmulator::Model *m) {
            if (m) destroy(m);
        });
        if (wrong_input) {
            std::vector<int> not_gt_words(l1ot_emu::n_obj, 0);
            model->prepare_input(not_gt_words);
        }
        for (const event &ev : events) {
            l1ot_emu::result r;
            model->prepare_input(static_cast<const l1ot_emu::gt_word *>(ev.w));
            model->predict();
            model->read_result(&r);
            if (r.score == ev.score && r.idx == ev.idx && (r.trig & 1u) == ev.trig) {
                passed++;
                continue;
            }
            if ((long)++failed <= max_print)
                std::printf("MISMATCH %s line %lu #%s: expected score %lx idx %lx trig %u, got score %x idx %x trig %u\n",
                            golden.c_str(), ev.line, ev.tag.c_str(), ev.score, ev.idx, ev.trig, r.score, r.idx,
                            r.trig & 1u);
        }
    } catch (const std::exception &exc) {
        fail(std::string("model ") + lib + ": " + exc.what());
    }
    dlclose(handle);   // as the loader's destructor (the model is destroyed first)
    std::printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
