// l1ot_argmin source list (paths relative to this file)
l1ot_argmin.sv
