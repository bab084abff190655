// l1ot_sortnet source list (paths relative to this file)
l1ot_sortnet.sv
