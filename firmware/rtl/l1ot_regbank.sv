// l1ot: control/status register slave with graded trigger bits (map: l1ot.export.regs,
// docs/firmware.md "Register bank")
//
// IPbus side (ipb_clk): the ports mirror ipbus-firmware's ipb_wbus / ipb_rbus. Every
// strobe gets exactly one cycle of ack or err; a read answers one cycle after the
// strobe, a commit or snapshot write once the algorithm side has done it. err (the
// register unchanged): a write to a read-only word, a read of a write-only word, an
// address outside the map, a threshold wider than SCORE_W.
//
// Algorithm side (clk): the kernel's registered score stream in, the N graded trigger
// bits out, one register later:
//     out_bits[i] <= ev_score >= thr_active[i]
// Event boundary (II = 1): one event occupies one ev_valid cycle; the N thresholds in
// force are the register thr_active, which changes only on a clock edge and all N bits
// at once. Each event is compared with the set in force in its ev_valid cycle (at the
// output stage), so no event ever sees half an old and half a new set.
//
// Clock crossing: four-phase-free toggle handshakes (req toggle in ipb_clk, two-flop
// synchroniser in clk, ack toggle back, two-flop synchroniser in ipb_clk). The data
// crossing with a handshake (pending thresholds to clk; counter snapshot to ipb_clk)
// is held stable by its source from before the req toggle until after the ack is seen:
// the bus is held (no ack) while a commit or snapshot is in flight, so no other write
// or read can touch it.
//
//   commit:   thr_pend (ipb) --req--> thr_active <= thr_pend (clk) --ack--> ipb ack
//   snapshot: req --> snap_* <= live counters, all as of one clk edge (two edges: the
//             halves of the split counters, see "Counters") --ack--> ipb ack

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_regbank #(
    parameter int N_THR = l1ot_regs_pkg::N_THR,
    parameter int SCORE_W = l1ot_regs_pkg::SCORE_W,
    parameter int CNT_W = l1ot_regs_pkg::CNT_W,
    // reset thresholds, threshold 0 in the low bits (N_THR*SCORE_W bits; untyped for the Yosys front end)
    parameter THR_RESET = l1ot_regs_pkg::THR_RESET,
    // width of the low half of each split 64-bit counter (32 on hardware; a test sets it
    // small so that the carry between the halves is exercised)
    parameter int CNT_LO_W = 32
) (
    // IPbus slave (ipb_clk domain)
    input  wire logic                ipb_clk,
    input  wire logic                ipb_rst,
    input  wire logic [31:0]         ipb_addr,
    input  wire logic [31:0]         ipb_wdata,
    input  wire logic                ipb_strobe,
    input  wire logic                ipb_write,
    output wire logic [31:0]         ipb_rdata,
    output wire logic                ipb_ack,
    output wire logic                ipb_err,

    // algorithm side (clk domain)
    input  wire logic                clk,
    input  wire logic                rst,
    input  wire logic [SCORE_W-1:0]  ev_score,
    input  wire logic                ev_valid,
    input  wire logic                ev_overrun,
    output wire logic [N_THR-1:0]    out_bits,
    output wire logic                out_valid
);

// constants of the generated package (l1ot.export.regs)
localparam int A_MAGIC = l1ot_regs_pkg::A_MAGIC;
localparam int A_FW_VERSION = l1ot_regs_pkg::A_FW_VERSION;
localparam int A_CONFIG_SHA = l1ot_regs_pkg::A_CONFIG_SHA;
localparam int A_K = l1ot_regs_pkg::A_K;
localparam int A_TRANSPORT = l1ot_regs_pkg::A_TRANSPORT;
localparam int A_N_THR = l1ot_regs_pkg::A_N_THR;
localparam int A_SCORE_W = l1ot_regs_pkg::A_SCORE_W;
localparam int A_CNT_W = l1ot_regs_pkg::A_CNT_W;
localparam int A_COMMIT = l1ot_regs_pkg::A_COMMIT;
localparam int A_SNAPSHOT = l1ot_regs_pkg::A_SNAPSHOT;
localparam int A_COMMITS = l1ot_regs_pkg::A_COMMITS;
localparam int A_SNAPSHOTS = l1ot_regs_pkg::A_SNAPSHOTS;
localparam int A_CNT_EVENTS = l1ot_regs_pkg::A_CNT_EVENTS;
localparam int A_THR = l1ot_regs_pkg::A_THR;
localparam int A_TRIG = l1ot_regs_pkg::A_TRIG;
localparam logic [31:0] ID_MAGIC = l1ot_regs_pkg::ID_MAGIC;
localparam logic [31:0] ID_FW_VERSION = l1ot_regs_pkg::ID_FW_VERSION;
localparam logic [31:0] ID_CONFIG_SHA = l1ot_regs_pkg::ID_CONFIG_SHA;
localparam logic [31:0] ID_K = l1ot_regs_pkg::ID_K;
localparam logic [31:0] ID_TRANSPORT = l1ot_regs_pkg::ID_TRANSPORT;

localparam logic [SCORE_W-1:0] SCORE_MAX = '1;

if (N_THR < 1 || N_THR > 256 || SCORE_W > 32 || CNT_W != 64 || CNT_LO_W < 1 || CNT_LO_W > 32) begin : g_check
    $error("l1ot_regbank: N_THR=%0d (1..256), SCORE_W=%0d (<= 32), CNT_W=%0d (64), CNT_LO_W=%0d (1..32)",
           N_THR, SCORE_W, CNT_W, CNT_LO_W);
    l1ot_param_check_failed u_check_failed ();
end

// ================================================================ ipb_clk domain
logic [SCORE_W-1:0] thr_pend [N_THR];
logic        cm_req, sn_req;     // request toggles
logic        cm_busy, sn_busy;
logic        ack_reg, err_reg;
logic [31:0] rdata_reg;
logic [31:0] n_commits, n_snapshots;

// ack toggles from clk, two-flop synchronisers
(* ASYNC_REG = "TRUE" *) logic [1:0] cm_ack_s;
(* ASYNC_REG = "TRUE" *) logic [1:0] sn_ack_s;
logic cm_ack_t, sn_ack_t;   // clk domain, declared here for the synchronisers

always_ff @(posedge ipb_clk) begin
    cm_ack_s <= {cm_ack_s[0], cm_ack_t};
    sn_ack_s <= {sn_ack_s[0], sn_ack_t};
end

// snapshot registers (clk domain, stable while read: see the header)
wire logic [CNT_W-1:0] snap_events, snap_sat, snap_overrun;
wire logic [CNT_W-1:0] snap_trig [N_THR];

wire logic [31:0] a = ipb_addr;
wire logic in_thr  = (a >= 32'(A_THR)) && (a < 32'(A_THR + N_THR));
wire logic in_trig = (a >= 32'(A_TRIG)) && (a < 32'(A_TRIG + 2*N_THR));
wire logic in_cnt  = (a >= 32'(A_CNT_EVENTS)) && (a < 32'(A_CNT_EVENTS + 6));
localparam int TI_W = (N_THR > 1) ? $clog2(N_THR) : 1;
wire logic [TI_W-1:0] thr_i  = TI_W'(a - 32'(A_THR));
wire logic [TI_W:0]   trig_w = (TI_W+1)'(a - 32'(A_TRIG));

function automatic logic [31:0] half(input logic [CNT_W-1:0] v, input logic hi);
    half = hi ? v[63:32] : v[31:0];
endfunction

// read decode: {valid, data}
logic        rd_ok;
logic [31:0] rd_data;
always_comb begin
    rd_ok = 1'b1;
    rd_data = '0;
    if (in_thr) begin
        rd_data = 32'(thr_pend[thr_i]);
    end else if (in_trig) begin
        rd_data = half(snap_trig[trig_w[TI_W:1]], trig_w[0]);
    end else if (in_cnt) begin
        case (a - 32'(A_CNT_EVENTS))
            32'd0, 32'd1: rd_data = half(snap_events, a[0]);
            32'd2, 32'd3: rd_data = half(snap_sat, a[0]);
            default:      rd_data = half(snap_overrun, a[0]);
        endcase
    end else begin
        case (a)
            32'(A_MAGIC):      rd_data = ID_MAGIC;
            32'(A_FW_VERSION): rd_data = ID_FW_VERSION;
            32'(A_CONFIG_SHA): rd_data = ID_CONFIG_SHA;
            32'(A_K):          rd_data = ID_K;
            32'(A_TRANSPORT):  rd_data = ID_TRANSPORT;
            32'(A_N_THR):      rd_data = 32'(N_THR);
            32'(A_SCORE_W):    rd_data = 32'(SCORE_W);
            32'(A_CNT_W):      rd_data = 32'(CNT_W);
            32'(A_COMMITS):    rd_data = n_commits;
            32'(A_SNAPSHOTS):  rd_data = n_snapshots;
            default:           rd_ok = 1'b0;   // out of map, or write-only
        endcase
    end
end

wire logic wide = (SCORE_W < 32) ? |(ipb_wdata >> SCORE_W) : 1'b0;
wire logic new_cycle = ipb_strobe && !ack_reg && !err_reg && !cm_busy && !sn_busy;

always_ff @(posedge ipb_clk) begin
    ack_reg <= 1'b0;
    err_reg <= 1'b0;
    if (new_cycle) begin
        if (!ipb_write) begin
            ack_reg   <= rd_ok;
            err_reg   <= !rd_ok;
            rdata_reg <= rd_data;
        end else if (in_thr) begin
            if (wide) begin
                err_reg <= 1'b1;
            end else begin
                thr_pend[thr_i] <= SCORE_W'(ipb_wdata);
                ack_reg <= 1'b1;
            end
        end else if (a == 32'(A_COMMIT)) begin
            cm_req  <= !cm_req;       // ack once the clk side echoes the toggle
            cm_busy <= 1'b1;
        end else if (a == 32'(A_SNAPSHOT)) begin
            sn_req  <= !sn_req;
            sn_busy <= 1'b1;
        end else begin
            err_reg <= 1'b1;          // read-only word or out of map
        end
    end
    if (cm_busy && cm_ack_s[1] == cm_req) begin
        cm_busy   <= 1'b0;
        ack_reg   <= 1'b1;
        n_commits <= n_commits + 1;
    end
    if (sn_busy && sn_ack_s[1] == sn_req) begin
        sn_busy     <= 1'b0;
        ack_reg     <= 1'b1;
        n_snapshots <= n_snapshots + 1;
    end
    if (ipb_rst) begin
        for (int i = 0; i < N_THR; i++) begin
            thr_pend[i] <= THR_RESET[i*SCORE_W +: SCORE_W];
        end
        ack_reg     <= 1'b0;
        err_reg     <= 1'b0;
        rdata_reg   <= '0;
        cm_busy     <= 1'b0;
        sn_busy     <= 1'b0;
        n_commits   <= '0;
        n_snapshots <= '0;
        // cancel a request not yet echoed (the clk side may still carry it out)
        cm_req      <= cm_ack_s[1];
        sn_req      <= sn_ack_s[1];
    end
end

assign ipb_ack   = ack_reg;
assign ipb_err   = err_reg;
assign ipb_rdata = rdata_reg;

// ================================================================ clk domain
(* ASYNC_REG = "TRUE" *) logic [1:0] cm_req_s;
(* ASYNC_REG = "TRUE" *) logic [1:0] sn_req_s;
logic [SCORE_W-1:0] thr_active [N_THR];
logic [N_THR-1:0]   bits_reg;
logic               valid_reg;
logic               sat_reg;

always_ff @(posedge clk) begin
    cm_req_s <= {cm_req_s[0], cm_req};
    sn_req_s <= {sn_req_s[0], sn_req};
end

// score >= threshold as the borrow of one subtraction per threshold (a carry chain, as in
// the kernel's output stage; (* keep *) stops the compare becoming a LUT tree)
logic [N_THR-1:0] ge;
for (genvar i = 0; i < N_THR; i++) begin : g_cmp
    (* keep *) wire logic [SCORE_W:0] df = {1'b0, ev_score} - {1'b0, thr_active[i]};
    assign ge[i] = !df[SCORE_W];
end

// Counters: N_CNT = N_THR trigger counters, then events, saturated, overrun. Each 64-bit
// counter is two halves (lo: CNT_LO_W = 32 bits) with a registered carry between them (at
// most a 33-bit carry chain from a register per clock edge, for 480 MHz):
//     inc <= event bit;   {cy, lo} <= lo + inc;   hi <= hi + cy
// so the count at edge t is {hi + cy, lo} = {hi one edge later, lo}. A snapshot therefore
// latches every counter at the first edge and rewrites every hi half at the next one
// (sn_hi), and only then echoes the request: the snapshot is the count at the first edge,
// exactly, a carry pending at that edge included.
localparam int N_CNT = N_THR + 3;
localparam int C_EVENTS = N_THR;
localparam int C_SAT = N_THR + 1;
localparam int C_OVERRUN = N_THR + 2;
localparam int LO_W = CNT_LO_W;
localparam int HI_W = CNT_W - CNT_LO_W;

logic [N_CNT-1:0]  cnt_inc;
logic [N_CNT-1:0]  inc_reg;   // the increments, registered (the carry chain starts at a register)
logic [LO_W-1:0]   cnt_lo [N_CNT];
logic [HI_W-1:0]   cnt_hi [N_CNT];
logic [N_CNT-1:0]  cnt_cy;
logic [CNT_W-1:0]  snap [N_CNT];
logic              sn_hi;     // second edge of a snapshot: latch the hi halves

always_comb begin
    for (int i = 0; i < N_THR; i++) begin
        cnt_inc[i] = valid_reg && bits_reg[i];
    end
    cnt_inc[C_EVENTS]  = valid_reg;
    cnt_inc[C_SAT]     = valid_reg && sat_reg;
    cnt_inc[C_OVERRUN] = ev_overrun;
end

always_ff @(posedge clk) begin
    // output stage: every event against the set in force in its ev_valid cycle
    bits_reg  <= ge;
    sat_reg   <= ev_score == SCORE_MAX;
    valid_reg <= ev_valid;

    // commit: the whole set at one edge (thr_pend is stable: the bus is held)
    if (cm_req_s[1] != cm_ack_t) begin
        for (int i = 0; i < N_THR; i++) begin
            thr_active[i] <= thr_pend[i];
        end
        cm_ack_t <= cm_req_s[1];
    end

    // counters of the output stage (and of the kernel's overrun flag), one edge later
    inc_reg <= cnt_inc;
    for (int i = 0; i < N_CNT; i++) begin
        {cnt_cy[i], cnt_lo[i]} <= {1'b0, cnt_lo[i]} + (LO_W+1)'(inc_reg[i]);
        cnt_hi[i] <= cnt_hi[i] + HI_W'(cnt_cy[i]);
    end

    // snapshot: every counter as of the same edge (the hi halves with the carry pending at
    // that edge are those of the next edge)
    sn_hi <= 1'b0;
    if (sn_hi) begin
        for (int i = 0; i < N_CNT; i++) begin
            snap[i][CNT_W-1:LO_W] <= cnt_hi[i];
        end
        sn_ack_t <= sn_req_s[1];
    end else if (sn_req_s[1] != sn_ack_t) begin
        for (int i = 0; i < N_CNT; i++) begin
            snap[i] <= {cnt_hi[i], cnt_lo[i]};
        end
        sn_hi <= 1'b1;
    end

    if (rst) begin
        for (int i = 0; i < N_THR; i++) begin
            thr_active[i] <= THR_RESET[i*SCORE_W +: SCORE_W];
        end
        for (int i = 0; i < N_CNT; i++) begin
            cnt_lo[i] <= '0;
            cnt_hi[i] <= '0;
            snap[i]   <= '0;
        end
        cnt_cy       <= '0;
        inc_reg      <= '0;
        valid_reg    <= 1'b0;
        sn_hi        <= 1'b0;
        // a request pending at reset is answered without being carried out
        cm_ack_t     <= cm_req_s[1];
        sn_ack_t     <= sn_req_s[1];
    end
end

assign snap_events  = snap[C_EVENTS];
assign snap_sat     = snap[C_SAT];
assign snap_overrun = snap[C_OVERRUN];
for (genvar i = 0; i < N_THR; i++) begin : g_snap
    assign snap_trig[i] = snap[i];
end

assign out_bits  = bits_reg;
assign out_valid = valid_reg;

endmodule

`resetall
