"""The console's look (Slack-like) and its one script: reload when what the person can see changed, unless they
are typing."""
from __future__ import annotations

STYLE = """
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,'Segoe UI',Lato,Arial,sans-serif;color:#1d1c1d}
.app{display:grid;grid-template-columns:260px 1fr;grid-template-rows:auto 1fr;min-height:100vh}
header{grid-column:1/3;background:#350d36;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center;
flex-wrap:wrap}header a{color:#fff}header select{font-size:14px}.zone{opacity:.8;font-size:13px}nav{margin-left:auto}
aside{background:#3f0e40;color:#cfc3cf;padding:.5rem 0}aside h3{font-size:13px;margin:.8rem 1rem .3rem;
text-transform:uppercase;letter-spacing:.05em}aside a.chan{display:block;color:#cfc3cf;padding:.2rem 1rem;
text-decoration:none}aside a.chan.current{background:#1164a3;color:#fff}
main{padding:0 1.2rem 6rem;max-width:60rem}h2{border-bottom:1px solid #ddd;padding:.6rem 0;margin:0 0 .5rem}
.msg{padding:.5rem .4rem;border-radius:6px}.msg:hover{background:#f8f8f8}.meta{font-size:14px;color:#616061}
.meta b{color:#1d1c1d}.app-badge{background:#ddd;border-radius:3px;font-size:10px;padding:0 3px;font-weight:700}
.edited{color:#888;font-size:12px}.ephemeral{background:#f4f8fb;border-left:3px solid #1264a3}
.only-you{color:#1264a3;font-size:12px}.thread{margin:.3rem 0 0 1.2rem;border-left:2px solid #ddd;padding-left:.6rem}
.thread summary{color:#1264a3;cursor:pointer;font-size:13px;font-weight:700}
.bk-header{font-size:18px;font-weight:900;margin:.3rem 0}.bk-section{display:flex;gap:.8rem;margin:.3rem 0}
.bk-main{flex:1}.bk-fields{display:grid;grid-template-columns:1fr 1fr;gap:.3rem 1rem;margin-top:.3rem}
.bk-context{font-size:13px;color:#616061;margin:.3rem 0}.bk-divider{border:0;border-top:1px solid #ddd}
.bk-actions{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}form.inline{display:inline}
.btn{border:1px solid #bbb;background:#fff;border-radius:4px;padding:.25rem .8rem;font-weight:700;cursor:pointer;
font-size:14px;text-decoration:none;color:#1d1c1d;display:inline-block}.btn.primary{background:#007a5a;color:#fff;
border-color:#007a5a}.btn.danger{background:#fff;color:#e01e5a;border-color:#e01e5a}.bk-select{padding:.2rem}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}code{background:#f6f6f6;
border:1px solid #ddd;border-radius:3px;padding:0 3px;color:#e01e5a;font-size:13px}pre{background:#f6f6f6;
padding:.5rem;border-radius:4px;white-space:pre-wrap}blockquote{border-left:4px solid #ddd;margin:0;
padding-left:.6rem}time{border-bottom:1px dotted #999}.bk-img{max-width:360px}.bk-context-image{height:20px}
.overlay{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:flex-start;justify-content:center;
padding-top:6vh}.modal{background:#fff;border-radius:8px;width:min(560px,94vw);max-height:86vh;overflow:auto;
padding:1rem 1.2rem}.modal-title{font-size:20px;font-weight:900;margin-bottom:.6rem}.modal-actions{display:flex;
justify-content:flex-end;gap:.5rem;margin-top:1rem}.bk-input{margin:.7rem 0}.bk-label{display:block;font-weight:700}
.bk-input textarea,.bk-input input[type=text]{width:100%;padding:.4rem;border:1px solid #bbb;border-radius:4px;
font:inherit}.bk-input textarea{min-height:5rem}.has-error textarea,.has-error input{border-color:#e01e5a}
.bk-error{color:#e01e5a;font-size:13px;margin-top:.2rem}.bk-hint,.optional{color:#616061;font-size:13px}
.bk-radio{display:block}.composer{position:fixed;bottom:0;left:260px;right:0;background:#fff;border-top:1px solid #ddd;
padding:.6rem 1.2rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}
td.num{text-align:right}.empty{color:#888}
"""

SCRIPT = """
(function(){
  const seen = "__VERSION__";
  function typing(){
    const active = document.activeElement;
    if (active && ["INPUT","TEXTAREA"].includes(active.tagName)) return true;
    const fields = "#modal-form textarea, #modal-form input[type=text], #composer input[name=text]";
    return [...document.querySelectorAll(fields)]
      .some(function(field){ return field.value; });
  }
  setInterval(async function(){
    if (typing()) return;
    try {
      const answer = await fetch("version?as=__AS__", {cache: "no-store"});
      if (answer.ok && (await answer.text()) !== seen) location.reload();
    } catch (error) {}
  }, 1000);
})();
"""
