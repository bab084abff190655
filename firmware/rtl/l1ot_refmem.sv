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
//     only through the first fetch registers m0_q / m1_q (a static-data path:
//     set_max_delay -datapath_only on a board).
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
    input  wire logic [R_W-1:0]             rd_r_next, // group of the next edge: medoids rd_r_next*P + p, p < P
    input  wire logic                       swap_ok,   // the bank may change at this edge
    output wire logic [P*N_OBJ*XPT_W-1:0]   rd_pt,     // registered: two edges after rd_r_next
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
// load-complete mask: AND tree of AND_G-input LUTs, one register per level
localparam int AND_G = 6;
localparam int AND_L = and_levels(N_WORDS);
// answer-step cycles a commit waits for the tree to settle on the last write (a power of
// two, so "done" is one counter bit): more than AND_L + 1, counted after the decode steps
localparam int WAIT_W = $clog2(AND_L + 2) + 1;
// shadow-word strobes: row a[ADDR_W-1:COL_W] x column a[COL_W-1:0]
localparam int COL_W = 5;
localparam int NCOL = 1 << COL_W;
localparam int NROW = (N_WORDS + NCOL - 1) / NCOL;
// bits of a 32-bit bus word compared per register of the decode step (at most CHK bits,
// so each decode register is at most two LUT levels): chunk masks, the last takes the rest
localparam int CHK = 11;
localparam logic [95:0] CHUNK = {32'hFFFF_FFFF, {2{~(32'hFFFF_FFFF << CHK)}}};
// low address bits of the control words (the bits above are checked once, dc_ctrl)
localparam logic [2:0] LO_COMMIT = 3'(A_COMMIT);
localparam logic [2:0] LO_STATUS = 3'(A_STATUS);
localparam logic [2:0] LO_INFO   = 3'(A_INFO);
localparam logic [2:0] LO_SHA    = 3'(A_CFG_SHA);
localparam logic [2:0] LO_FORMAT = 3'(A_FORMAT);

// levels of an AND_G-ary tree over n > 1 bits
function automatic integer and_levels(input integer n);
    integer w, l;
    w = n;
    l = 0;
    for (integer i = 0; i < 32; i = i + 1) begin
        if (w > 1) begin
            w = (w + AND_G - 1) / AND_G;
            l = l + 1;
        end
    end
    and_levels = l;
endfunction

// width of level l of the tree (level 0: the n mask bits)
function automatic integer and_width(input integer n, input integer l);
    integer w;
    w = n;
    for (integer i = 0; i < l; i = i + 1) begin
        w = (w + AND_G - 1) / AND_G;
    end
    and_width = w;
endfunction

// offset of level l >= 1 in the flat vector of the registered levels
function automatic integer and_off(input integer n, input integer l);
    integer o;
    o = 0;
    for (integer i = 1; i < l; i = i + 1) begin
        o = o + and_width(n, i);
    end
    and_off = o;
endfunction

// elaboration-time parameter checks (docs/firmware.md, "Parameter checks")
if (N_WORDS != K*N_OBJ || MW != XPT_W + XETA_W + XPHI_W) begin : g_check_0
    $error("l1ot_refmem: package l1ot_refmem_pkg does not match K=%0d / the widths", K);
    l1ot_param_check_failed u_check_failed ();
end
if (REUSE < 1 || REUSE > K || MW > 32 || MW < 2) begin : g_check_1
    $error("l1ot_refmem: REUSE=%0d outside [1, K] or word of %0d bits", REUSE, MW);
    l1ot_param_check_failed u_check_failed ();
end
// the control words share the address bits above bit 2 (decoded once), and the words
// lie below them
if ((A_COMMIT >> 3) != (A_STATUS >> 3) || (A_COMMIT >> 3) != (A_INFO >> 3)
        || (A_COMMIT >> 3) != (A_CFG_SHA >> 3) || (A_COMMIT >> 3) != (A_FORMAT >> 3)
        || N_WORDS > ((A_COMMIT >> 3) << 3) || ADDR_W <= COL_W || 32 - ADDR_W > 3*CHK) begin : g_check_2
    $error("l1ot_refmem: control addresses 0x%0h..0x%0h not in one 8-word block above the %0d words",
           A_COMMIT, A_FORMAT, N_WORDS);
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

// bus request: latched once, then decoded in two registered steps, then answered
// (docs/firmware.md, "Reloadable-reference top": every step is at most a few LUT levels,
// as the whole slave is timed with the kernel's delay model)
logic        rq_write;
logic [31:0] rq_addr;
logic [31:0] rq_wdata;
logic        busy;            // a request is being decoded or answered
logic        st_dec;          // rq_* latched: dc_* hold their decode after this edge
logic        st_cls;          // dc_* valid: cl_* hold the answer class after this edge
logic        st_ans;          // cl_* valid: answer at this edge
logic        resp_ack;
logic        resp_err;
logic [31:0] resp_rdata;
logic        clr_written;
logic [WAIT_W-1:0] wait_q;
logic        committing;      // commit accepted, waiting for sel_ipb == req_t

wire logic [ADDR_W-1:0] a = rq_addr[ADDR_W-1:0];

// decode step (free-running on the stable rq_*): address fields, the data above the word
// field, the data against COMMIT_KEY, each over at most CHK bits
logic [2:0] dc_hi;            // address bits above the map set (three chunks)
logic       dc_word;          // a < N_WORDS
logic       dc_ctrl;          // a in the 8-word control block
logic [2:0] dc_wide;          // data bits above the MW-bit field set (three chunks)
logic [2:0] dc_key;           // data == COMMIT_KEY (three chunks)

always_ff @(posedge ipb_clk) begin
    for (int c = 0; c < 3; c++) begin
        dc_hi[c]   <= |((rq_addr >> (ADDR_W + c*CHK)) & CHUNK[32*c +: 32]);
        dc_wide[c] <= |((rq_wdata >> (MW + c*CHK)) & CHUNK[32*c +: 32]);
        dc_key[c]  <= ((rq_wdata >> (c*CHK)) & CHUNK[32*c +: 32]) == ((COMMIT_KEY >> (c*CHK)) & CHUNK[32*c +: 32]);
    end
    dc_word <= (a < ADDR_W'(N_WORDS));
    dc_ctrl <= (a[ADDR_W-1:3] == (ADDR_W-3)'(A_COMMIT >> 3));
end

// class step: one answer class, the read value and the shadow-word row / column
logic              cl_word;          // write of a medoid word
logic              cl_commit;        // write of COMMIT_KEY to COMMIT
logic              cl_read;          // read of STATUS, INFO, CFG_SHA or FORMAT
logic [31:0]       cl_rdata;
logic [NROW-1:0]   cl_row;           // row of the word
logic [NCOL-1:0]   cl_col;           // column of the word
wire logic         dc_in_map = ~|dc_hi;

always_ff @(posedge ipb_clk) begin
    cl_word   <= dc_in_map && dc_word && rq_write && ~|dc_wide;
    cl_commit <= dc_in_map && dc_ctrl && rq_write && &dc_key && a[2:0] == LO_COMMIT;
    cl_read   <= dc_in_map && dc_ctrl && !rq_write
                 && (a[2:0] == LO_STATUS || a[2:0] == LO_INFO || a[2:0] == LO_SHA || a[2:0] == LO_FORMAT);
    cl_rdata  <= (a[2:0] == LO_STATUS) ? {31'd0, sel_ipb}
               : (a[2:0] == LO_INFO)   ? INFO
               : (a[2:0] == LO_SHA)    ? CFG_SHA : FORMAT;
    for (int r = 0; r < NROW; r++) begin
        cl_row[r] <= (a[ADDR_W-1:COL_W] == (ADDR_W-COL_W)'(r));
    end
    for (int c = 0; c < NCOL; c++) begin
        cl_col[c] <= (a[COL_W-1:0] == COL_W'(c));
    end
end

// answer step: the shadow-word strobes (row per bank x column), registered
logic [NROW-1:0] wr_row0_q;
logic [NROW-1:0] wr_row1_q;
logic [NROW-1:0] wr_row_q;
logic [NCOL-1:0] wr_col_q;
wire logic       ans_now = busy && st_ans && !committing;

always_ff @(posedge ipb_clk) begin
    wr_row0_q <= (ans_now && cl_word && shadow == 1'b0) ? cl_row : '0;
    wr_row1_q <= (ans_now && cl_word && shadow == 1'b1) ? cl_row : '0;
    wr_row_q  <= (ans_now && cl_word) ? cl_row : '0;
    wr_col_q  <= cl_col;
    if (ipb_rst) begin
        wr_row0_q <= '0;
        wr_row1_q <= '0;
        wr_row_q  <= '0;
    end
end

// load-complete: registered AND tree over the mask (the mutant point "load
// complete with a word missing" is the input of this tree)
wire logic [N_WORDS-1:0] and_in = written_q;
logic complete_q;
localparam int AND_T = and_off(N_WORDS, AND_L + 1);    // registers of levels 1..AND_L
logic [AND_T-1:0] and_q;

for (genvar l = 1; l <= AND_L; l++) begin : g_and
    localparam int WI = and_width(N_WORDS, l - 1);
    localparam int WO = and_width(N_WORDS, l);
    localparam int OI = and_off(N_WORDS, l - 1);
    localparam int OO = and_off(N_WORDS, l);
    wire logic [WI-1:0] lin;
    if (l == 1) begin : g_first
        assign lin = and_in;
    end else begin : g_next
        assign lin = and_q[OI +: WI];
    end
    for (genvar g = 0; g < WO; g++) begin : g_grp
        localparam int NB = (WI - AND_G*g < AND_G) ? WI - AND_G*g : AND_G;
        always_ff @(posedge ipb_clk) begin
            and_q[OO + g] <= &lin[AND_G*g +: NB];
        end
    end
end
assign complete_q = and_q[AND_T-1];

// synchronisers
always_ff @(posedge ipb_clk) begin
    sel_sync <= {sel_sync[0], sel_clk};
end
always_ff @(posedge clk) begin
    req_sync <= {req_sync[0], req_t};
end

// shadow-bank write and load mask
for (genvar j = 0; j < N_WORDS; j++) begin : g_word
    always_ff @(posedge ipb_clk) begin
        if (wr_row0_q[j / NCOL] && wr_col_q[j % NCOL]) begin
            bank0_q[j*MW +: MW] <= rq_wdata[MW-1:0];
        end
        if (wr_row1_q[j / NCOL] && wr_col_q[j % NCOL]) begin
            bank1_q[j*MW +: MW] <= rq_wdata[MW-1:0];
        end
        if (wr_row_q[j / NCOL] && wr_col_q[j % NCOL]) begin
            written_q[j] <= 1'b1;
        end
        if (clr_written || ipb_rst) begin
            written_q[j] <= 1'b0;
        end
    end
end

// bus state machine: latch a request, decode (two steps), answer once
always_ff @(posedge ipb_clk) begin
    resp_ack    <= 1'b0;
    resp_err    <= 1'b0;
    clr_written <= 1'b0;
    st_dec      <= 1'b0;
    st_cls      <= st_dec;
    st_ans      <= st_cls;
    if (!busy) begin
        // a new strobe: not in the cycle of our answer (the master still holds it)
        if (ipb_strobe && !resp_ack && !resp_err && !pending) begin
            rq_write <= ipb_write;
            rq_addr  <= ipb_addr;
            rq_wdata <= ipb_wdata;
            busy     <= 1'b1;
            st_dec   <= 1'b1;
            wait_q   <= '0;
        end
    end else if (committing) begin
        if (!pending) begin
            committing  <= 1'b0;
            busy        <= 1'b0;
            resp_ack    <= 1'b1;
        end
    end else if (st_ans) begin
        busy       <= 1'b0;
        resp_rdata <= '0;
        if (cl_word) begin
            resp_ack <= 1'b1;       // the strobes above write the word at the next edge
        end else if (cl_commit) begin
            if (!wait_q[WAIT_W-1]) begin
                // let the AND tree settle on the last write
                wait_q <= wait_q + 1'b1;
                busy   <= 1'b1;
                st_ans <= 1'b1;
            end else if (complete_q) begin
                req_t       <= ~req_t;
                clr_written <= 1'b1;
                committing  <= 1'b1;
                busy        <= 1'b1;
            end else begin
                resp_err <= 1'b1;
            end
        end else if (cl_read) begin
            resp_rdata <= cl_rdata;
            resp_ack   <= 1'b1;
        end else begin
            resp_err <= 1'b1;
        end
    end
    if (ipb_rst) begin
        busy        <= 1'b0;
        st_dec      <= 1'b0;
        st_cls      <= 1'b0;
        st_ans      <= 1'b0;
        committing  <= 1'b0;
        resp_ack    <= 1'b0;
        resp_err    <= 1'b0;
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

// fetch, two registered levels (each at most an 8:1 multiplexer per bit at REUSE <= 8;
// docs/firmware.md, "Reloadable-reference top"):
//   edge 1: both banks, group rd_r_next (the group the kernel's issue register holds
//           after this edge), into m0_q / m1_q: a binary tree of 2:1 multiplexers on the
//           bits of rd_r_next;
//   edge 2: the active bank (sel_clk at this edge, as a one-level fetch would read it)
//           into med_q, tagged rd_bank.
// Unit p, group r reads medoid r*P + p (padding slots r*P + p >= K repeat medoid K-1,
// which never wins a tie). The data of bank b are stable from one edge before the swap
// that makes b active until the bus writes it again, after the swap (see the header), so
// the group read at edge 1 is the one of the bank selected at edge 2.
wire logic bank_rd = sel_clk;    // bank the fetch reads
logic bank_q;                     // bank in force for the fetched group (event tag)
always_ff @(posedge clk) begin
    bank_q <= bank_rd;
end
assign rd_bank = bank_q;

localparam int NP = 1 << R_W;     // leaves of the group multiplexer (>= REUSE)

for (genvar p = 0; p < P; p++) begin : g_unit
    // heap-ordered trees: node n in [1, 2*NP) at bits (n-1)*MED_W, leaves NP..2*NP-1
    // (group n - NP); node n < NP selects with bit R_W - ceil(log2(n+1)) of rd_r_next
    // (the root with the MSB)
    wire logic [(2*NP-1)*MED_W-1:0] t0;
    wire logic [(2*NP-1)*MED_W-1:0] t1;
    for (genvar r = 0; r < NP; r++) begin : g_leaf
        localparam int RR = (r < REUSE) ? r : REUSE - 1;   // unused groups: any valid word
        localparam int MI = (RR*P + p < K) ? RR*P + p : K - 1;
        assign t0[(NP + r - 1)*MED_W +: MED_W] = bank0_q[MI*MED_W +: MED_W];
        assign t1[(NP + r - 1)*MED_W +: MED_W] = bank1_q[MI*MED_W +: MED_W];
    end
    for (genvar n = 1; n < NP; n++) begin : g_node
        localparam int B = R_W - $clog2(n + 1);
        assign t0[(n-1)*MED_W +: MED_W] = rd_r_next[B] ? t0[(2*n)*MED_W +: MED_W] : t0[(2*n-1)*MED_W +: MED_W];
        assign t1[(n-1)*MED_W +: MED_W] = rd_r_next[B] ? t1[(2*n)*MED_W +: MED_W] : t1[(2*n-1)*MED_W +: MED_W];
    end
    logic [MED_W-1:0] m0_q;   // group rd_r_next of bank 0
    logic [MED_W-1:0] m1_q;   // group rd_r_next of bank 1
    logic [MED_W-1:0] med_q;  // the active bank's
    always_ff @(posedge clk) begin
        m0_q  <= t0[MED_W-1:0];
        m1_q  <= t1[MED_W-1:0];
        med_q <= bank_rd ? m1_q : m0_q;
    end
    for (genvar i = 0; i < N_OBJ; i++) begin : g_obj
        assign rd_phi[(p*N_OBJ + i)*XPHI_W +: XPHI_W] = med_q[i*MW +: XPHI_W];
        assign rd_eta[(p*N_OBJ + i)*XETA_W +: XETA_W] = med_q[i*MW + XPHI_W +: XETA_W];
        assign rd_pt[(p*N_OBJ + i)*XPT_W +: XPT_W]    = med_q[i*MW + XPHI_W + XETA_W +: XPT_W];
    end
end

endmodule

`resetall
