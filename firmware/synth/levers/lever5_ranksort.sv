// lever 5a measurement (issue 26, goal 5): rank sort of N keyed objects in 3 register stages
//
// Same function as l1ot_sortnet on a full sorting network (descending by distinct keys,
// payload with its key), built as
//   stage 1: all comparisons key_j > key_i in parallel, counted per group of 6  -> register
//   stage 2: rank_i = sum of the group counts; one-hot sel[o][i] = (rank_i == o) -> register
//   then    out_o = OR_i sel[o][i] & obj_i (an AND-OR of N terms), left combinational
//           for the register of the next block (REG_OUT = 1: registered here)
// Keys must be distinct (the kernel appends a slot tag), so the ranks are a permutation.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module lever5_ranksort #(
    parameter int N = 19,
    parameter int KEY_W = 19,
    parameter int PAY_W = 11,
    parameter bit REG_OUT = 1'b1
) (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic [N*KEY_W-1:0] in_key,
    input  wire logic [N*PAY_W-1:0] in_pay,
    input  wire logic               in_valid,
    output wire logic [N*KEY_W-1:0] out_key,
    output wire logic [N*PAY_W-1:0] out_pay,
    output wire logic               out_valid
);

localparam int RW = $clog2(N);           // rank width
localparam int OW = KEY_W + PAY_W;       // object width
/* verilator lint_off UNUSEDPARAM */
localparam int LATENCY = 2 + (REG_OUT ? 1 : 0);
/* verilator lint_on UNUSEDPARAM */

// stage 1: all comparisons, and their count per group of 6 (a 6:3 compressor, one LUT
// level after the compare's carry chain); object i sees the N-1 bits
// larger_i[j] = key_j > key_i (j != i), in NG groups of 6
localparam int NG = (N - 1 + 5) / 6;
logic [N*NG*3-1:0] cnt_reg;
logic [N*OW-1:0]   obj1_reg;
logic              v1_reg;
always_ff @(posedge clk) begin
    for (int i = 0; i < N; i++) begin
        logic [NG*6-1:0] larger;
        larger = '0;
        for (int j = 0; j < N; j++) begin
            if (j < i) larger[j] = in_key[j*KEY_W +: KEY_W] > in_key[i*KEY_W +: KEY_W];
            if (j > i) larger[j-1] = in_key[j*KEY_W +: KEY_W] > in_key[i*KEY_W +: KEY_W];
        end
        for (int g = 0; g < NG; g++) begin
            logic [2:0] c;
            c = 3'(larger[g*6]) + 3'(larger[g*6+1]) + 3'(larger[g*6+2])
              + 3'(larger[g*6+3]) + 3'(larger[g*6+4]) + 3'(larger[g*6+5]);
            cnt_reg[(i*NG + g)*3 +: 3] <= c;
        end
        obj1_reg[i*OW +: OW] <= {in_key[i*KEY_W +: KEY_W], in_pay[i*PAY_W +: PAY_W]};
    end
    v1_reg <= in_valid;
    if (rst) v1_reg <= 1'b0;
end

// stage 2: one-hot select sel[o][i] = (rank_i == o), rank_i the sum of the group counts
// (a function of 3 NG bits per (o, i))
logic [N*N-1:0]  sel_reg;      // sel_reg[o*N + i]: object i goes to output o
logic [N*OW-1:0] obj2_reg;
logic            v2_reg;
always_ff @(posedge clk) begin
    for (int i = 0; i < N; i++) begin
        logic [RW:0] r;
        r = '0;
        for (int g = 0; g < NG; g++) begin
            r = r + (RW+1)'(cnt_reg[(i*NG + g)*3 +: 3]);
        end
        for (int o = 0; o < N; o++) begin
            sel_reg[o*N + i] <= (r == (RW+1)'(o));
        end
    end
    obj2_reg <= obj1_reg;
    v2_reg <= v1_reg;
    if (rst) v2_reg <= 1'b0;
end

// AND-OR per output (3 LUT levels for N = 19), into the output register or the next block
logic [N*OW-1:0] out_obj;
always_comb begin
    for (int o = 0; o < N; o++) begin
        for (int b = 0; b < OW; b++) begin
            logic acc;
            acc = 1'b0;
            for (int i = 0; i < N; i++) begin
                acc = acc | (sel_reg[o*N + i] & obj2_reg[i*OW + b]);
            end
            out_obj[o*OW + b] = acc;
        end
    end
end
wire logic v3_reg = v2_reg;

logic [N*OW-1:0] obj4;
logic            v4;
if (REG_OUT) begin : g_reg_out
    logic [N*OW-1:0] obj4_reg;
    logic            v4_reg;
    always_ff @(posedge clk) begin
        obj4_reg <= out_obj;
        v4_reg <= v3_reg;
        if (rst) v4_reg <= 1'b0;
    end
    assign obj4 = obj4_reg;
    assign v4 = v4_reg;
end else begin : g_comb_out
    assign obj4 = out_obj;
    assign v4 = v3_reg;
end

for (genvar o = 0; o < N; o++) begin : g_out
    assign out_key[o*KEY_W +: KEY_W] = obj4[o*OW + PAY_W +: KEY_W];
    assign out_pay[o*PAY_W +: PAY_W] = obj4[o*OW +: PAY_W];
end
assign out_valid = v4;

endmodule

`resetall
