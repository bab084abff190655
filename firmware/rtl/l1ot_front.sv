// l1ot: front end of the REUSE kernels (l1ot_kernel, l1ot_kernel_rl)
//
//   in reg -> stage a (l1ot_stage_a, SCALE_REGS) -> sort network (l1ot_sortnet, a
//   register every SORT_LAYERS_PER_STAGE layers, the last layer feeds the issue
//   register) -> issue register
//
// The issue register holds the sorted event (working precision) for REUSE cycles,
// group iss_r = 0 .. REUSE-1 in turn; the top compares group r with medoids r*P + p.
// iss_r_next is the group the issue register holds after the next edge (0 with a new
// event), for a medoid memory that reads one edge ahead; it is a register or a
// two-input function of registers per bit. iss_more low marks an event boundary: no
// further group of the current event follows the one in the issue register. An
// event arriving while groups of the previous one are pending replaces it
// (err_overrun pulses). Constants come from the generated package l1ot_params_pkg.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_front #(
    // reuse factor R: cycles the issue register holds an event (groups 0 .. R-1)
    parameter int REUSE = 1,
    // sorting-network comparator layers between pipeline registers
    parameter int SORT_LAYERS_PER_STAGE = 2,
    // stage-a registers (l1ot_scale REGS: 2, or 1 = the rounding adder shares a stage
    // with the first comparator layer)
    parameter int SCALE_REGS = 2,
    // derived from the package, do not override
    parameter int N_OBJ = l1ot_params_pkg::N_OBJ,
    parameter int WORD_W = l1ot_params_pkg::WORD_W,
    parameter int XPT_W = l1ot_params_pkg::XPT_W,
    parameter int XETA_W = l1ot_params_pkg::XETA_W,
    parameter int XPHI_W = l1ot_params_pkg::XPHI_W,
    parameter int R_W = (REUSE > 1) ? $clog2(REUSE) : 1
) (
    input  wire logic                       clk,
    input  wire logic                       rst,

    input  wire logic [N_OBJ*WORD_W-1:0]    in_words,
    input  wire logic                       in_valid,

    // sorted event, slot s in [s*W +: W], held for REUSE cycles
    output wire logic [N_OBJ*XPT_W-1:0]     iss_pt,
    output wire logic [N_OBJ*XETA_W-1:0]    iss_eta,
    output wire logic [N_OBJ*XPHI_W-1:0]    iss_phi,
    output wire logic [R_W-1:0]             iss_r,       // group in the issue register
    output wire logic [R_W-1:0]             iss_r_next,  // group after the next edge
    output wire logic                       iss_first,   // iss_r == 0
    output wire logic                       iss_last,    // iss_r == REUSE - 1
    output wire logic                       iss_valid,
    output wire logic                       iss_more,    // further groups of this event follow

    // pulse: an event arrived less than REUSE cycles after the previous one
    // (the previous event is dropped)
    output wire logic                       err_overrun
);

localparam int PT_BITS       = l1ot_params_pkg::PT_BITS;
localparam int ETA_BITS      = l1ot_params_pkg::ETA_BITS;
localparam int PHI_BITS      = l1ot_params_pkg::PHI_BITS;
localparam int M_PT          = l1ot_params_pkg::M_PT;
localparam int S_PT          = l1ot_params_pkg::S_PT;
localparam int M_ETA         = l1ot_params_pkg::M_ETA;
localparam int S_ETA         = l1ot_params_pkg::S_ETA;
localparam int M_PHI         = l1ot_params_pkg::M_PHI;
localparam int S_PHI         = l1ot_params_pkg::S_PHI;
localparam int TAG_W         = l1ot_params_pkg::TAG_W;
localparam int SORT_N_LAYERS = l1ot_params_pkg::SORT_N_LAYERS;
localparam int SORT_PW       = l1ot_params_pkg::SORT_PW;
localparam logic [SORT_N_LAYERS*N_OBJ*SORT_PW-1:0] SORT_PARTNER = l1ot_params_pkg::SORT_PARTNER;

localparam int KEY_W = XPT_W + TAG_W;
localparam int PAY_W = XETA_W + XPHI_W;
localparam int NPT = N_OBJ*XPT_W;
localparam int NETA = N_OBJ*XETA_W;
localparam int NPHI = N_OBJ*XPHI_W;

/* verilator lint_off UNUSEDPARAM */   // documentation of the tops' LAT_IN + LAT_SCALE + LAT_SORT + LAT_ISSUE
localparam int LATENCY = 1 + SCALE_REGS + (SORT_N_LAYERS - 1) / SORT_LAYERS_PER_STAGE + 1;
/* verilator lint_on UNUSEDPARAM */

// elaboration-time parameter checks (docs/firmware.md, "Parameter checks")
if (REUSE < 1 || R_W < ((REUSE > 1) ? $clog2(REUSE) : 1)) begin : g_check_0
    $error("l1ot_front: REUSE=%0d must be >= 1 with R_W=%0d >= clog2(REUSE)", REUSE, R_W);
    l1ot_param_check_failed u_check_failed ();
end
if (WORD_W != PT_BITS + ETA_BITS + PHI_BITS || (1 << TAG_W) < N_OBJ) begin : g_check_1
    $error("l1ot_front: WORD_W or TAG_W inconsistent with the package");
    l1ot_param_check_failed u_check_failed ();
end
if (SORT_LAYERS_PER_STAGE < 1) begin : g_check_2
    $error("l1ot_front: SORT_LAYERS_PER_STAGE must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end

// ---------------------------------------------------------------- input reg
logic [N_OBJ*WORD_W-1:0] in_words_reg;
logic                    in_valid_reg;

always_ff @(posedge clk) begin
    in_words_reg <= in_words;
    in_valid_reg <= in_valid;
    if (rst) begin
        in_valid_reg <= 1'b0;
    end
end

// ---------------------------------------------------------------- stage a
// (working precision, sort key and payload)
wire logic [N_OBJ*KEY_W-1:0] a_key;
wire logic [N_OBJ*PAY_W-1:0] a_pay;
/* verilator lint_off UNUSEDSIGNAL */   // the unsorted coordinates feed sum x^2 in l1ot_kernel_cm only
wire logic [NPT-1:0]         a_pt;
wire logic [NETA-1:0]        a_eta;
wire logic [NPHI-1:0]        a_phi;
/* verilator lint_on UNUSEDSIGNAL */
wire logic                   a_valid;

l1ot_stage_a #(
    .N_OBJ(N_OBJ),
    .PT_BITS(PT_BITS),
    .ETA_BITS(ETA_BITS),
    .PHI_BITS(PHI_BITS),
    .WORD_W(WORD_W),
    .M_PT(M_PT),
    .S_PT(S_PT),
    .M_ETA(M_ETA),
    .S_ETA(S_ETA),
    .M_PHI(M_PHI),
    .S_PHI(S_PHI),
    .XPT_W(XPT_W),
    .XETA_W(XETA_W),
    .XPHI_W(XPHI_W),
    .TAG_W(TAG_W),
    .REGS(SCALE_REGS)
) u_stage_a (
    .clk(clk),
    .rst(rst),
    .in_words(in_words_reg),
    .in_valid(in_valid_reg),
    .out_key(a_key),
    .out_pay(a_pay),
    .out_pt(a_pt),
    .out_eta(a_eta),
    .out_phi(a_phi),
    .out_valid(a_valid)
);

// ---------------------------------------------------------------- stage b: sort
// (the slot tag is dropped after the sort)
/* verilator lint_off UNUSEDSIGNAL */
wire logic [N_OBJ*KEY_W-1:0] b_key;
/* verilator lint_on UNUSEDSIGNAL */
wire logic [N_OBJ*PAY_W-1:0] b_pay;
wire logic                   b_valid;

l1ot_sortnet #(
    .N(N_OBJ),
    .KEY_W(KEY_W),
    .PAY_W(PAY_W),
    .N_LAYERS(SORT_N_LAYERS),
    .PW(SORT_PW),
    .PARTNER(SORT_PARTNER),
    .LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .REG_OUT(1'b0)
) u_sort (
    .clk(clk),
    .rst(rst),
    .in_key(a_key),
    .in_pay(a_pay),
    .in_valid(a_valid),
    .out_key(b_key),
    .out_pay(b_pay),
    .out_valid(b_valid)
);

// ---------------------------------------------------------------- issue
logic [NPT-1:0]  iss_pt_reg;
logic [NETA-1:0] iss_eta_reg;
logic [NPHI-1:0] iss_phi_reg;
logic [R_W-1:0]  iss_r_reg;
logic [R_W-1:0]  nxt_r_reg;       // iss_r_reg + iss_more_reg: the group after this one
logic            iss_valid_reg;
logic            iss_more_reg;    // further groups of this event follow
logic            overrun_reg;

wire logic [NPT-1:0]  b_pt;
wire logic [NETA-1:0] b_eta;
wire logic [NPHI-1:0] b_phi;

for (genvar s = 0; s < N_OBJ; s++) begin : g_unpack
    assign b_pt[s*XPT_W +: XPT_W]    = b_key[s*KEY_W + TAG_W +: XPT_W];
    assign b_eta[s*XETA_W +: XETA_W] = b_pay[s*PAY_W + XPHI_W +: XETA_W];
    assign b_phi[s*XPHI_W +: XPHI_W] = b_pay[s*PAY_W +: XPHI_W];
end

// the group after the next edge: 0 with a new event, else the registered successor
wire logic [R_W-1:0] iss_r_next_w = b_valid ? '0 : nxt_r_reg;
wire logic           iss_more_next = b_valid ? (REUSE > 1) : (iss_more_reg && (32'(iss_r_reg) + 2 < REUSE));

always_ff @(posedge clk) begin
    overrun_reg <= 1'b0;
    iss_r_reg   <= iss_r_next_w;
    nxt_r_reg   <= iss_r_next_w + R_W'(iss_more_next);
    if (b_valid) begin
        iss_pt_reg    <= b_pt;
        iss_eta_reg   <= b_eta;
        iss_phi_reg   <= b_phi;
        iss_valid_reg <= 1'b1;
        iss_more_reg  <= (REUSE > 1);
        overrun_reg   <= iss_more_reg;
    end else if (iss_more_reg) begin
        iss_valid_reg <= 1'b1;
        iss_more_reg  <= (32'(iss_r_reg) + 2 < REUSE);
    end else begin
        iss_valid_reg <= 1'b0;
    end
    if (rst) begin
        iss_r_reg     <= '0;
        nxt_r_reg     <= '0;
        iss_valid_reg <= 1'b0;
        iss_more_reg  <= 1'b0;
        overrun_reg   <= 1'b0;
    end
end

assign iss_pt      = iss_pt_reg;
assign iss_eta     = iss_eta_reg;
assign iss_phi     = iss_phi_reg;
assign iss_r       = iss_r_reg;
assign iss_r_next  = iss_r_next_w;
assign iss_valid   = iss_valid_reg;
assign iss_more    = iss_more_reg;
assign err_overrun = overrun_reg;

assign iss_first = (iss_r_reg == '0);
assign iss_last  = (32'(iss_r_reg) == REUSE - 1);

endmodule

`resetall
