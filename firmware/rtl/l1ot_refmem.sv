// l1ot: reloadable medoid memory, an IPbus slave (docs/firmware.md, "Reloadable-reference top")
//
// Two banks of K*N_OBJ medoid words {pt, eta, phi} (working precision, sorted
// slots; word k*N_OBJ + i = medoid k, slot i). The kernel (clk domain) reads
// the ACTIVE bank; the bus (ipb_clk domain) writes the SHADOW bank. A write of
// COMMIT_KEY to the COMMIT register swaps the banks at the next event boundary
// (swap_ok) of the kernel, so every event is scored against one whole
// reference. The address map, reset contents (model of the export) and the
// identification words come from the generated package l1ot_refmem_pkg
// (l1ot.export.refmem); the uhal table <name>_refmem.xml is generated beside it.
//
// Bus (ipbus-firmware ipb_wbus / ipb_rbus semantics, ipb_clk domain): every
// strobe is answered by exactly one cycle of ack or err, registered (one cycle
// or more after the strobe). err, with nothing changed, for:
//   * an address outside the map (bits above ADDR_W, or an unused word),
//   * a read of a write-only word (medoid words, COMMIT) or a write of a
//     read-only one (STATUS, INFO, CFG_SHA, FORMAT),
//   * a medoid word with bits set above the MW-bit field, a COMMIT value other
//     than COMMIT_KEY,
//   * a COMMIT when not every word has been written since the last commit.
//
// Clock-domain crossing (two-flop synchronisers, one toggle each way):
//   ipb -> clk: commit request toggle req_t. The clk side adopts it (sel_clk <=
//     req) at an edge with swap_ok; the shadow bank has been stable since the
//     last data write, which precedes the commit cycle, and stays stable (no
//     bus cycle is answered while a commit is pending).
//   clk -> ipb: sel_clk, synchronised to sel_ipb. The commit is acked when
//     sel_ipb == req_t; from then on the bus writes the other bank, which the
//     kernel stopped reading at the swap. Bank words are read by the clk domain
//     only through the fetch register (a static-data path: set_max_delay
//     -datapath_only on a board).
// The bank contents, req_t and sel_clk are not reset (power-up values: the
// export's model in both banks, bank 0 active): a reset of either domain must
// neither revert the reference under a running kernel nor split the two views
// of the bank select. ipb_rst clears the load mask and the bus state; rst
// nothing here.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_refmem #(
    parameter int K = l1ot_params_pkg::K,
    // reuse factor of the kernel: group r of an event reads medoids r*P + p
    parameter int REUSE = 1,
    // derived, do not override
    parameter int N_OBJ = l1ot_params_pkg::N_OBJ,
    parameter int XPT_W = l1ot_params_pkg::XPT_W,
    parameter int XETA_W = l1ot_params_pkg::XETA_W,
    parameter int XPHI_W = l1ot_params_pkg::XPHI_W,
    parameter int P = (K + REUSE - 1) / REUSE,
    parameter int R_W = (REUSE > 1) ? $clog2(REUSE) : 1
) (
    // bus, ipb_clk domain
    input  wire logic                       ipb_clk,
    input  wire logic                       ipb_rst,
    input  wire logic [31:0]                ipb_addr,
    input  wire logic [31:0]                ipb_wdata,
    input  wire logic                       ipb_strobe,
    input  wire logic                       ipb_write,
    output wire logic [31:0]                ipb_rdata,
    output wire logic                       ipb_ack,
    output wire logic                       ipb_err,

    // kernel side, clk domain
    input  wire logic                       clk,
    input  wire logic [R_W-1:0]             rd_r,      // group: medoids rd_r*P + p, p < P
    input  wire logic                       swap_ok,   // the bank may change at this edge
    output wire logic [P*N_OBJ*XPT_W-1:0]   rd_pt,     // registered: one cycle after rd_r
    output wire logic [P*N_OBJ*XETA_W-1:0]  rd_eta,
    output wire logic [P*N_OBJ*XPHI_W-1:0]  rd_phi,
    output wire logic                       rd_bank    // bank of rd_* (registered with them)
);

localparam int N_WORDS    = l1ot_refmem_pkg::N_WORDS;
localparam int MW         = l1ot_refmem_pkg::MW;
localparam int ADDR_W     = l1ot_refmem_pkg::ADDR_W;
localparam int A_COMMIT   = l1ot_refmem_pkg::A_COMMIT;
localparam int A_STATUS   = l1ot_refmem_pkg::A_STATUS;
localparam int A_INFO     = l1ot_refmem_pkg::A_INFO;
localparam int A_CFG_SHA  = l1ot_refmem_pkg::A_CFG_SHA;
localparam int A_FORMAT   = l1ot_refmem_pkg::A_FORMAT;
localparam logic [31:0] COMMIT_KEY = l1ot_refmem_pkg::COMMIT_KEY;
localparam logic [31:0] INFO       = l1ot_refmem_pkg::INFO;
localparam logic [31:0] CFG_SHA    = l1ot_refmem_pkg::CFG_SHA;
localparam logic [31:0] FORMAT     = l1ot_refmem_pkg::FORMAT;
localparam logic [N_WORDS*MW-1:0] INIT_WORDS = l1ot_refmem_pkg::INIT_WORDS;
localparam int MED_W = N_OBJ*MW;
// cycles from the last mask update to a settled load-complete flag (and1_q, complete_q)
localparam int CHECK_WAIT = 4;

// elaboration-time parameter checks (docs/firmware.md, "Parameter checks")
if (N_WORDS != K*N_OBJ || MW != XPT_W + XETA_W + XPHI_W) begin : g_check_0
    $error("l1ot_refmem: package l1ot_refmem_pkg does not match K=%0d / the widths", K);
    l1ot_param_check_failed u_check_failed ();
end
if (REUSE < 1 || REUSE > K || MW > 32) begin : g_check_1
    $error("l1ot_refmem: REUSE=%0d outside [1, K] or word of %0d bits", REUSE, MW);
    l1ot_param_check_failed u_check_failed ();
end

// ---------------------------------------------------------------- banks (ipb_clk writes)
/* verilator lint_off PROCASSINIT */   // power-up values, no reset (see the header)
logic [N_WORDS*MW-1:0] bank0_q = INIT_WORDS;
logic [N_WORDS*MW-1:0] bank1_q = INIT_WORDS;
logic [N_WORDS-1:0]    written_q;
logic                  req_t = 1'b0;       // commit request toggle (ipb_clk)
logic                  sel_clk = 1'b0;     // active bank (clk)
(* ASYNC_REG = "TRUE" *) logic [1:0] sel_sync = 2'b00;   // sel_clk in ipb_clk
(* ASYNC_REG = "TRUE" *) logic [1:0] req_sync = 2'b00;   // req_t in clk
/* verilator lint_on PROCASSINIT */
wire logic sel_ipb = sel_sync[1];
wire logic pending = (req_t != sel_ipb);
wire logic shadow  = ~sel_ipb;

// bus request, registered once (the decode below sees stable inputs)
logic        rq_valid;
logic        rq_write;
logic [31:0] rq_addr;
logic [31:0] rq_wdata;
logic        busy;            // a request is being answered
logic        resp_ack;
logic        resp_err;
logic [31:0] resp_rdata;
logic        wr_word;         // write the shadow word rq_addr this cycle
logic        clr_written;
logic [$clog2(CHECK_WAIT+2)-1:0] wait_q;
logic        committing;      // commit accepted, waiting for sel_ipb == req_t

wire logic addr_hi  = |rq_addr[31:ADDR_W];
wire logic is_word  = !addr_hi && (rq_addr[ADDR_W-1:0] < ADDR_W'(N_WORDS));
wire logic is_ctrl  = !addr_hi && (rq_addr[ADDR_W-1:0] == ADDR_W'(A_COMMIT));
wire logic [ADDR_W-1:0] a = rq_addr[ADDR_W-1:0];

// load-complete: registered AND tree over the mask (the mutant point "load
// complete with a word missing" is the input of this tree)
wire logic [N_WORDS-1:0] and_in = written_q;
logic complete_q;

// level 1: AND of groups of 36 bits (two LUT levels), registered; level 2: AND of
// those (K*N_OBJ/36 bits, three LUT levels), registered
localparam int NG = (N_WORDS + 35) / 36;
logic [NG-1:0] and1_q;
for (genvar g = 0; g < NG; g++) begin : g_and1
    localparam int LO = 36*g;
    localparam int NB = (N_WORDS - LO < 36) ? N_WORDS - LO : 36;
    always_ff @(posedge ipb_clk) begin
        and1_q[g] <= &and_in[LO +: NB];
    end
end
always_ff @(posedge ipb_clk) begin
    complete_q <= &and1_q;
end

// synchronisers
always_ff @(posedge ipb_clk) begin
    sel_sync <= {sel_sync[0], sel_clk};
end
always_ff @(posedge clk) begin
    req_sync <= {req_sync[0], req_t};
end

// word decode and shadow-bank write
for (genvar j = 0; j < N_WORDS; j++) begin : g_word
    wire logic hit = wr_word && (a == ADDR_W'(j));
    always_ff @(posedge ipb_clk) begin
        if (hit && shadow == 1'b0) begin
            bank0_q[j*MW +: MW] <= rq_wdata[MW-1:0];
        end
        if (hit && shadow == 1'b1) begin
            bank1_q[j*MW +: MW] <= rq_wdata[MW-1:0];
        end
        if (hit) begin
            written_q[j] <= 1'b1;
        end
        if (clr_written || ipb_rst) begin
            written_q[j] <= 1'b0;
        end
    end
end

// bus state machine: latch a request, decode, answer once
always_ff @(posedge ipb_clk) begin
    resp_ack    <= 1'b0;
    resp_err    <= 1'b0;
    wr_word     <= 1'b0;
    clr_written <= 1'b0;
    if (!busy) begin
        // a new strobe: not in the cycle of our answer (the master still holds it)
        if (ipb_strobe && !resp_ack && !resp_err && !pending) begin
            rq_valid <= 1'b1;
            rq_write <= ipb_write;
            rq_addr  <= ipb_addr;
            rq_wdata <= ipb_wdata;
            busy     <= 1'b1;
            wait_q   <= '0;
        end
    end else if (committing) begin
        if (!pending) begin
            committing  <= 1'b0;
            busy        <= 1'b0;
            rq_valid    <= 1'b0;
            resp_ack    <= 1'b1;
        end
    end else if (rq_valid) begin
        busy     <= 1'b0;
        rq_valid <= 1'b0;
        resp_rdata <= '0;
        if (is_word) begin
            if (rq_write && rq_wdata[31:MW] == '0) begin
                wr_word  <= 1'b1;
                resp_ack <= 1'b1;
            end else begin
                resp_err <= 1'b1;
            end
        end else if (is_ctrl) begin
            if (!rq_write || rq_wdata != COMMIT_KEY) begin
                resp_err <= 1'b1;
            end else if (32'(wait_q) < CHECK_WAIT) begin
                // let the AND tree settle on the last write
                wait_q   <= wait_q + 1'b1;
                busy     <= 1'b1;
                rq_valid <= 1'b1;
            end else if (complete_q) begin
                req_t       <= ~req_t;
                clr_written <= 1'b1;
                committing  <= 1'b1;
                busy        <= 1'b1;
                rq_valid    <= 1'b1;
            end else begin
                resp_err <= 1'b1;
            end
        end else if (!addr_hi && !rq_write && a == ADDR_W'(A_STATUS)) begin
            resp_rdata <= {31'd0, sel_ipb};
            resp_ack   <= 1'b1;
        end else if (!addr_hi && !rq_write && a == ADDR_W'(A_INFO)) begin
            resp_rdata <= INFO;
            resp_ack   <= 1'b1;
        end else if (!addr_hi && !rq_write && a == ADDR_W'(A_CFG_SHA)) begin
            resp_rdata <= CFG_SHA;
            resp_ack   <= 1'b1;
        end else if (!addr_hi && !rq_write && a == ADDR_W'(A_FORMAT)) begin
            resp_rdata <= FORMAT;
            resp_ack   <= 1'b1;
        end else begin
            resp_err <= 1'b1;
        end
    end
    if (ipb_rst) begin
        busy        <= 1'b0;
        rq_valid    <= 1'b0;
        committing  <= 1'b0;
        resp_ack    <= 1'b0;
        resp_err    <= 1'b0;
        wr_word     <= 1'b0;
        clr_written <= 1'b0;
    end
end

assign ipb_ack   = resp_ack;
assign ipb_err   = resp_err;
assign ipb_rdata = resp_rdata;

// ---------------------------------------------------------------- kernel side (clk)
// the bank changes only at an event boundary of the kernel
always_ff @(posedge clk) begin
    if (swap_ok) begin
        sel_clk <= req_sync[1];
    end
end

// fetch register: unit p, group r reads medoid r*P + p of the active bank
// (padding slots r*P + p >= K repeat medoid K-1, which never wins a tie)
wire logic bank_rd = sel_clk;    // bank the fetch reads
logic bank_q;                     // bank in force for the fetched group (event tag)
always_ff @(posedge clk) begin
    bank_q <= sel_clk;
end
assign rd_bank = bank_q;

for (genvar p = 0; p < P; p++) begin : g_unit
    // entries {bank, r}: 2*REUSE medoids of MED_W bits
    wire logic [2*REUSE*MED_W-1:0] tab;
    for (genvar r = 0; r < REUSE; r++) begin : g_r
        localparam int MI = (r*P + p < K) ? r*P + p : K - 1;
        assign tab[r*MED_W +: MED_W]           = bank0_q[MI*MED_W +: MED_W];
        assign tab[(REUSE + r)*MED_W +: MED_W] = bank1_q[MI*MED_W +: MED_W];
    end
    logic [MED_W-1:0] med_q;
    always_ff @(posedge clk) begin
        med_q <= tab[(32'(bank_rd) * REUSE + 32'(rd_r)) * MED_W +: MED_W];
    end
    for (genvar i = 0; i < N_OBJ; i++) begin : g_obj
        assign rd_phi[(p*N_OBJ + i)*XPHI_W +: XPHI_W] = med_q[i*MW +: XPHI_W];
        assign rd_eta[(p*N_OBJ + i)*XETA_W +: XETA_W] = med_q[i*MW + XPHI_W +: XETA_W];
        assign rd_pt[(p*N_OBJ + i)*XPT_W +: XPT_W]    = med_q[i*MW + XPHI_W + XETA_W +: XPT_W];
    end
end

endmodule

`resetall
