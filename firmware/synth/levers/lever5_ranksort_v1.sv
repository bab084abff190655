// lever 5a, first form (measured: reports/lever5.json, entry "lever5_ranksort" of the first
// run, when this was lever5_ranksort.sv): compare | popcount | one-hot decode | AND-OR
//   stage 1: all N(N-1)/2 comparisons key_i > key_j in parallel          -> register
//   stage 2: rank_i = #{j : key_j > key_i}, a popcount of N-1 bits         -> register
//   stage 3: one-hot select sel[o][i] = (rank_i == o)                      -> register
//   then    out_o = OR_i sel[o][i] & obj_i                                 -> register (REG_OUT)
`resetall
`timescale 1ns / 1ps
`default_nettype none

module lever5_ranksort_v1 #(
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

localparam int RW = $clog2(N);
localparam int OW = KEY_W + PAY_W;

logic [N*N-1:0]  gt_reg;
logic [N*OW-1:0] obj1_reg;
logic            v1_reg;
always_ff @(posedge clk) begin
    for (int i = 0; i < N; i++) begin
        for (int j = 0; j < N; j++) begin
            gt_reg[i*N + j] <= (i < j) ? (in_key[i*KEY_W +: KEY_W] > in_key[j*KEY_W +: KEY_W]) : 1'b0;
        end
        obj1_reg[i*OW +: OW] <= {in_key[i*KEY_W +: KEY_W], in_pay[i*PAY_W +: PAY_W]};
    end
    v1_reg <= in_valid;
    if (rst) v1_reg <= 1'b0;
end

logic [N*RW-1:0] rank_reg;
logic [N*OW-1:0] obj2_reg;
logic            v2_reg;
always_ff @(posedge clk) begin
    for (int i = 0; i < N; i++) begin
        logic [RW-1:0] r;
        r = '0;
        for (int j = 0; j < N; j++) begin
            if (j < i) r = r + RW'(gt_reg[j*N + i]);
            else if (j > i) r = r + RW'(!gt_reg[i*N + j]);
        end
        rank_reg[i*RW +: RW] <= r;
    end
    obj2_reg <= obj1_reg;
    v2_reg <= v1_reg;
    if (rst) v2_reg <= 1'b0;
end

logic [N*N-1:0]  sel_reg;
logic [N*OW-1:0] obj3_reg;
logic            v3_reg;
always_ff @(posedge clk) begin
    for (int o = 0; o < N; o++) begin
        for (int i = 0; i < N; i++) begin
            sel_reg[o*N + i] <= (rank_reg[i*RW +: RW] == RW'(o));
        end
    end
    obj3_reg <= obj2_reg;
    v3_reg <= v2_reg;
    if (rst) v3_reg <= 1'b0;
end

logic [N*OW-1:0] out_obj;
always_comb begin
    out_obj = '0;
    for (int o = 0; o < N; o++) begin
        for (int i = 0; i < N; i++) begin
            out_obj[o*OW +: OW] = out_obj[o*OW +: OW] | (sel_reg[o*N + i] ? obj3_reg[i*OW +: OW] : '0);
        end
    end
end

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
