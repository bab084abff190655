// l1ot_kernel_rl_ipb source list (paths relative to this file). The generated
// packages l1ot_params_pkg.sv, l1ot_regs_pkg.sv and l1ot_refmem_pkg.sv (build/export/k<K>/)
// must be compiled first.
l1ot_scale.sv
l1ot_stage_a.sv
l1ot_sortnet.sv
l1ot_front.sv
l1ot_addtree.sv
l1ot_argmin.sv
l1ot_reuse_argmin.sv
l1ot_refmem.sv
l1ot_kernel_rl_dist.sv
l1ot_kernel_rl.sv
l1ot_regbank.sv
l1ot_kernel_rl_ipb.sv
