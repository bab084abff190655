#################
# l1ot HLS kernel: Vitis HLS project (hls4ml build_prj.tcl option style)
#
#   vitis_hls -f build_prj.tcl -tclargs "reset=1 csim=1 synth=1 cosim=0 export=0"
#
# Run from a project directory prepared by hls/run_vendor.py, which holds
#   project.tcl         project_name, part, clock_period, clock_uncertainty,
#                       reuse, version (written by run_vendor.py)
#   firmware/           l1ot.cpp, l1ot*.h and the generated parameters.h
#   tb/l1ot_test.cpp    golden-vector testbench
#   tb_data/golden.txt  golden vectors (l1ot export)
# NOTE: this flow is not tested on the development machines (no Xilinx tools).
#################
array set opt {
    reset      1
    csim       1
    synth      1
    cosim      0
    export     0
}

set tcldir [file dirname [info script]]
source [file join $tcldir project.tcl]

foreach arg $::argv {
    foreach o [lsort [array names opt]] {
        regexp "$o=+(\\w+)" $arg unused opt($o)
    }
}

proc report_time { op_name time_start time_end } {
    set time_taken [expr $time_end - $time_start]
    set time_s [expr ($time_taken / 1000) % 60]
    set time_m [expr ($time_taken / (1000*60)) % 60]
    set time_h [expr ($time_taken / (1000*60*60)) % 24]
    puts "***** ${op_name} COMPLETED IN ${time_h}h${time_m}m${time_s}s *****"
}

set fwdir [file normalize [file join $tcldir firmware]]
set cflags "-std=c++14 -I${fwdir} -DL1OT_REUSE=${reuse}"

if {$opt(reset)} {
    open_project -reset ${project_name}_prj
} else {
    open_project ${project_name}_prj
}
set_top l1ot_score
add_files firmware/l1ot.cpp -cflags $cflags
add_files -tb tb/l1ot_test.cpp -cflags $cflags
add_files -tb tb_data
if {$opt(reset)} {
    open_solution -reset "solution1"
} else {
    open_solution "solution1"
}
config_compile -name_max_length 80
set_part $part
create_clock -period $clock_period -name default
set_clock_uncertainty $clock_uncertainty default

if {$opt(csim)} {
    puts "***** C SIMULATION *****"
    set time_start [clock clicks -milliseconds]
    csim_design -argv "tb_data/golden.txt"
    set time_end [clock clicks -milliseconds]
    report_time "C SIMULATION" $time_start $time_end
}

if {$opt(synth)} {
    puts "***** C/RTL SYNTHESIS *****"
    set time_start [clock clicks -milliseconds]
    csynth_design
    set time_end [clock clicks -milliseconds]
    report_time "C/RTL SYNTHESIS" $time_start $time_end
}

if {$opt(cosim)} {
    puts "***** C/RTL SIMULATION *****"
    set time_start [clock clicks -milliseconds]
    cosim_design -argv "tb_data/golden.txt"
    set time_end [clock clicks -milliseconds]
    report_time "C/RTL SIMULATION" $time_start $time_end
}

if {$opt(export)} {
    puts "***** EXPORT IP *****"
    set time_start [clock clicks -milliseconds]
    export_design -format ip_catalog -version $version
    set time_end [clock clicks -milliseconds]
    report_time "EXPORT IP" $time_start $time_end
}

exit
