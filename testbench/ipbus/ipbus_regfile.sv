// l1ot test fixture: a small IPbus register file on the contract's ipb_* port
//
// Word map (relative to the slave's base):
//   0x00        RO  ID (parameter ID)
//   0x01        RO  number of writes accepted since reset
//   0x02        RO  pop counter: every read returns the next value 0, 1, 2, ... (a FIFO-like
//                   port for non-incrementing reads)
//   0x03        RW  12-bit field; a write with any bit above bit 11 set answers err and
//                   leaves the field unchanged
//   0x07        --  never answers (neither ack nor err: a bus timeout for the master)
//   0x08..0x0f  RW  8 words, answered in the same cycle (combinational ack)
//   0x20..0x3f  RW  32 words, answered after WAIT wait states
// A write to an RO word or any access outside the map answers err and changes nothing.
// Semantics of ipbus-firmware: one cycle of ack or err per strobe; the access takes
// place at the clock edge where strobe and ack are both high; the master drops strobe
// for at least the cycle after ack or err.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ipbus_regfile #(
    parameter logic [31:0] ID = 32'h1b07_0024,
    // wait states of the 0x20..0x3f block (>= 1)
    parameter int WAIT = 2
) (
    input  wire logic        ipb_clk,
    input  wire logic        ipb_rst,
    input  wire logic [31:0] ipb_addr,
    input  wire logic [31:0] ipb_wdata,
    input  wire logic        ipb_strobe,
    input  wire logic        ipb_write,
    output wire logic [31:0] ipb_rdata,
    output wire logic        ipb_ack,
    output wire logic        ipb_err
);

logic [31:0] n_writes_reg = '0;
logic [31:0] pop_reg = '0;
logic [11:0] field_reg = '0;
logic [31:0] fast_mem [8];
logic [31:0] slow_mem [32];

// ---- decode
wire logic in_fast = (ipb_addr[31:3] == 29'h1);
wire logic in_slow = (ipb_addr[31:5] == 27'h1);
wire logic is_ro   = (ipb_addr <= 32'h2);
wire logic is_fld  = (ipb_addr == 32'h3);
wire logic bad_fld = is_fld && ipb_write && (ipb_wdata[31:12] != '0);
wire logic mapped  = is_ro || is_fld || in_fast || in_slow;
wire logic bad     = !mapped || (is_ro && ipb_write) || bad_fld;

// ---- answer: combinational for the fast block, after a wait-state count for the rest
logic [$clog2(WAIT+2)-1:0] wait_cnt_reg = '0;
logic done_reg = 1'b0;        // the answer of this strobe was given; wait for strobe low
wire logic slow_path = !in_fast || bad;
wire logic silent = (ipb_addr == 32'h7);
wire logic answer = !silent && ipb_strobe && !done_reg && (slow_path ? (wait_cnt_reg == WAIT[$bits(wait_cnt_reg)-1:0]) : 1'b1);

assign ipb_ack = answer && !bad;
assign ipb_err = answer && bad;

logic [31:0] rdata;
always_comb begin
    rdata = '0;
    if (ipb_addr == 32'h0) rdata = ID;
    else if (ipb_addr == 32'h1) rdata = n_writes_reg;
    else if (ipb_addr == 32'h2) rdata = pop_reg;
    else if (is_fld) rdata = {20'd0, field_reg};
    else if (in_fast) rdata = fast_mem[ipb_addr[2:0]];
    else if (in_slow) rdata = slow_mem[ipb_addr[4:0]];
end
assign ipb_rdata = ipb_ack ? rdata : '0;

always_ff @(posedge ipb_clk) begin
    if (ipb_strobe && !done_reg && slow_path && !answer) begin
        wait_cnt_reg <= wait_cnt_reg + 1'b1;
    end
    if (answer) begin
        done_reg <= 1'b1;
        wait_cnt_reg <= '0;
    end else if (!ipb_strobe) begin
        done_reg <= 1'b0;
        wait_cnt_reg <= '0;
    end
    if (ipb_ack) begin
        if (ipb_write) begin
            n_writes_reg <= n_writes_reg + 1'b1;
            if (is_fld) field_reg <= ipb_wdata[11:0];
            if (in_fast) fast_mem[ipb_addr[2:0]] <= ipb_wdata;
            if (in_slow) slow_mem[ipb_addr[4:0]] <= ipb_wdata;
        end else if (ipb_addr == 32'h2) begin
            pop_reg <= pop_reg + 1'b1;
        end
    end
    if (ipb_rst) begin
        n_writes_reg <= '0;
        pop_reg <= '0;
        field_reg <= '0;
        done_reg <= 1'b0;
        wait_cnt_reg <= '0;
    end
end

endmodule

`resetall
