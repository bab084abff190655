// l1ot_sqdist source list (paths relative to this file)
l1ot_addtree.sv
l1ot_sqdist.sv
