# l1ot — top-level targets. `make demo` and `make test` are the whole set-up.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
L1OT  := $(VENV)/bin/l1ot
STAMP := $(VENV)/.installed
BUILD ?= build
# the firmware default (l1ot.kernel.fixed.FIRMWARE_*): species transport, K = 64;
# `make export TRANSPORT=sorted K=32` makes the documented sorted K = 32 export
K     ?= 64
TRANSPORT ?= species
# the CMSSW emulator wraps a sorted export
EMULATOR_K ?= 32

.PHONY: data-multiscale multiscale multiscale-bench
.PHONY: all venv demo test test-slow bench bench-venv data model export csim emulator cosim coexist synth pareto mutate hls-synth ip clean help figures paper1-comparison

help:
	@echo "make demo      - end-to-end job on the bundled sample (creates .venv)"
	@echo "make test      - test suite (creates .venv)"
	@echo "make bench     - benchmarks -> reports/bench.json"
	@echo "make bench-venv - the optional bench extra (wasserstein, GPLv3) in .venv-bench for make bench"
	@echo "make data      - regenerate the simulated ADC2021-format sample (Pythia 8 + FastJet)"
	@echo "make model     - train the default LinW2 k-medoids model ($(TRANSPORT), K = $(K)) -> $(BUILD)/model_k$(K)$(MODEL_SUFFIX).h5"
	@echo "make export    - parameters.h, SV package, golden vectors -> $(BUILD)/export/k$(K)$(MODEL_SUFFIX)"
	@echo "make csim      - HLS C simulation on g++ with the open ap_types headers"
	@echo "make emulator  - CMSSW emulator lib<name>.so (hls4mlEmulator interface) + loader host on every GT golden vector"
	@echo "make cosim     - cocotb + Verilator RTL simulation against the golden vectors"
	@echo "make coexist   - K = 8 and K = 32 exports beside the autoencoder in one design (3 front ends, cosim)"
	@echo "make synth     - Yosys synth_xilinx resource estimate -> reports/firmware.*"
	@echo "make pareto    - fixed-point AUC vs Yosys estimate over K x {sorted, species} -> reports/pareto.*"
	@echo "make mutate    - mutation suite: plant each bug of mutation/mutants.toml, run its check -> reports/mutation.md"
	@echo "make hls-synth / make ip - Vitis HLS flow (needs vitis_hls; untested here)"
	@echo "make figures   - redraw the result figures from reports/evaluation.json (PNG + PDF)"
	@echo "make data-multiscale - regenerate data/multiscale (Pythia 8 + FastJet constituents, paper 2 tasks)"
	@echo "make multiscale - paper 2 multi-scale OT: toy, both tasks x 3 radii -> reports/multiscale.*"
	@echo "make paper1-comparison - docs/paper1_comparison.md from the report and paper 1's tables"

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" --durations=15

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

figures: $(STAMP)
	$(PY) -m l1ot.evaluation.figures reports/evaluation.json reports

paper1-comparison: $(STAMP)
	$(PY) -m l1ot.paper1.comparison reports/evaluation.json docs/paper1_comparison.md

bench: $(STAMP)
	$(PY) scripts/bench.py

# the optional `bench` extra (wasserstein, GPLv3, numpy < 2) in its own environment; make bench
# uses it when present and says so when absent
BENCH_VENV ?= .venv-bench
bench-venv:
	@test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q $$(python3 scripts/bench_wasserstein.py --requirements)

data: $(STAMP)
	$(PY) -m pip install -q -e ".[gen]"
	$(PY) scripts/make_dataset.py --out data

# paper 2's multi-scale OT (docs/multiscale.md); MS_N events per class, MS_WORKERS Dask workers
MS_N ?= 200
MS_WORKERS ?= 1
data-multiscale: $(STAMP)
	$(PY) -m pip install -q -e ".[gen]"
	$(PY) scripts/make_multiscale_data.py --out data/multiscale --n 500 --seed 17

multiscale: $(STAMP)
	$(L1OT) multiscale toy
	$(L1OT) multiscale classify --task ttbar --radius 0.8 0.4 1.2 --n $(MS_N) --workers $(MS_WORKERS) -o $(BUILD)/multiscale_ttbar.json
	$(L1OT) multiscale classify --task paired-dijet --radius 0.8 0.4 1.2 --n $(MS_N) --workers $(MS_WORKERS) -o $(BUILD)/multiscale_paired-dijet.json
	$(PY) scripts/multiscale_results.py --inputs $(BUILD)/multiscale_ttbar.json $(BUILD)/multiscale_paired-dijet.json

# MS_BENCH_KNN events per class for the pruned-kNN rows (full matrix + brute kNN against pruned, same run)
MS_BENCH_KNN ?= 100
multiscale-bench: $(STAMP)
	nice $(PY) scripts/multiscale_bench.py --knn-ns $(MS_BENCH_KNN) --knn-scaling $(MS_BENCH_KNN)

# model and export file names of a transport: build/model_k64_species.h5, build/export/k64_species
MODEL_SUFFIX = $(if $(filter species,$(TRANSPORT)),_species,)

model: $(STAMP)
	$(L1OT) train data/background_for_training.h5 --k $(K) --transport $(TRANSPORT) -o $(BUILD)/model_k$(K)$(MODEL_SUFFIX).h5

export: $(STAMP)
	$(PY) scripts/build_artifacts.py --k $(K) --transport $(TRANSPORT) --build $(BUILD)

# default: the species K = 64 export (and every other export under BUILD/export);
# CSIM_ARGS: e.g. --k 32 (the sorted K = 32 export), --species-k 8
csim: $(STAMP)
	$(PY) hls/run_csim.py --build $(BUILD) $(CSIM_ARGS)

emulator: $(STAMP)
	$(PY) hls/run_emulator.py --build $(BUILD) --k $(EMULATOR_K)

cosim: $(STAMP)
	$(PY) testbench/run_cosim.py --build $(BUILD)

# two exports (K = 8, K = 32) beside the autoencoder's da4ml block: elaboration in Verilator,
# Yosys and slang, bit-exact cosim, FuseSoC lint (docs/firmware.md)
coexist: $(STAMP)
	L1OT_BUILD=$(abspath $(BUILD)) $(PY) -m pytest -q testbench/l1ot_coexist

synth: $(STAMP)
	$(PY) firmware/synth/run_yosys.py --build $(BUILD)

# AUC (fixed point) against the Yosys estimate of l1ot_kernel_cm over K x transport
# (reports/pareto.*; resumable: cached per point under BUILD/pareto; PARETO_ARGS e.g. --ks 8,16)
pareto: $(STAMP)
	$(PY) scripts/pareto.py --build $(BUILD) $(PARETO_ARGS)

# not part of `make test`; MUTATE_ARGS e.g. --layer rtl, --only rtl-trigger-gt
mutate: $(STAMP)
	$(PY) scripts/mutate.py --build $(BUILD) $(MUTATE_ARGS)

hls-synth: $(STAMP)
	$(PY) hls/run_vendor.py synth --build $(BUILD)

ip: $(STAMP)
	$(PY) hls/run_vendor.py ip --build $(BUILD)

demo: $(STAMP)
	$(PY) scripts/demo.py --build $(BUILD)

clean:
	rm -rf $(BUILD)
