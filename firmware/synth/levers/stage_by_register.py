#!/usr/bin/env python3
"""Longest path per register name (indices folded) of a flattened Yosys netlist, with the delay model of
run_yosys.py. Usage (repository root): .venv/bin/python firmware/synth/levers/stage_by_register.py NETLIST.json"""
import sys, json, re
sys.path.insert(0,'firmware/synth'); import run_yosys as ry
from pathlib import Path
from collections import defaultdict
nl=json.loads(Path(sys.argv[1]).read_text())
mod=[m for m,v in nl['modules'].items() if v.get('attributes',{}).get('top')][0]
m=nl['modules'][mod]
bitname={}
for n,v in m['netnames'].items():
    for b in v['bits']:
        if isinstance(b,int) and (b not in bitname or n.startswith('$')==False): bitname.setdefault(b,n) if n.startswith('$') else bitname.__setitem__(b,n)
# reuse ry.timing internals: recompute arrival
cells=m['cells']; driver={}; info={}
for name,c in cells.items():
    t=c['type'];dirs=c.get('port_directions',{});conns=c.get('connections',{})
    ins=[b for p,bits in conns.items() if dirs.get(p)=='input' for b in bits if isinstance(b,int)]
    outs=[b for p,bits in conns.items() if dirs.get(p)=='output' for b in bits if isinstance(b,int)]
    seq=t in ry.FF_TYPES
    info[name]=(t,ins,outs,seq,c.get('parameters',{}),conns)
    if not seq:
        for b in outs: driver[b]=name
arr={}
sys.setrecursionlimit(100000)
def a(cn):
    if cn in arr: return arr[cn]
    t,ins,outs,seq,p,_=info[cn]; d,_k=ry._delay(t,p,ry.DELAY_NS,ry.ROUTE_NS)
    best=0
    for b in ins:
        dc=driver.get(b)
        if dc: best=max(best,a(dc))
    arr[cn]=best+d; return arr[cn]
grp=defaultdict(float)
for n,(t,ins,outs,seq,p,conns) in info.items():
    if not seq: continue
    q=conns.get('Q',[None])[0]; nm=re.sub(r'\[\d+\]','',bitname.get(q,'?'))
    best=max([a(driver[b]) for b in conns.get('D',[]) if isinstance(b,int) and b in driver] or [0])
    grp[nm]=max(grp[nm],best+ry.REG_OVERHEAD_NS)
for k,v in sorted(grp.items(),key=lambda x:-x[1])[:12]: print(round(v,2),k)
