// bandeau banner: one dependency-free IIFE (ES2019+). Public contract: docs/banner.md.
//
// bandeau.banner.render() inlines the site config at the token below, then drops comment lines,
// blank lines and indentation. So: comments on their own lines, no string split over lines.
// The code is written dense on purpose: the whole bundle (site config with its texts in every
// language, and the CSS) has a gzip budget (DESIGN 7). The comments carry the readability.
//
// Names. W window, D document, LO location, C site config, P purposes, K purposes by key,
// L language, T texts in L, U ui texts, X purpose texts, S state {key: allowed},
// F features {name: on}, N pending consent keys (not asked in their current version),
// I consent id, Y decided, A purposes an activated element needed, RD "ready" fired,
// R root #bandeau, B first layer, M settings dialog, V live region, O icon, Z focus before
// the first layer, Q element that opened the settings, G switches by key, H localStorage key
// of a decision the server has not acknowledged, CK consent cookie name, NC this script's nonce,
// SP spacer at the end of the page, DI the decision the cookie carries (for its receipt),
// RT retry delay.
(function(){
'use strict';
var W=window,D=document,LO=location,C=__BANDEAU_CONFIG__;
if(W.bandeau)return;
var ME=D.currentScript,NC=ME&&ME.nonce||'',H='bandeau.pending',CK=C.cookie.name,GPC=navigator.globalPrivacyControl===!0;
var P=C.purposes,K={},L=D.documentElement.lang.split('-')[0].toLowerCase(),u;
// the page speaks a language of the site that this bundle has no texts for: hand over to the
// bundle of that language (same URL with lang=L, asked once), which runs instead of this one
if(ME&&ME.src&&!C.texts[L]&&(C.langs||[]).includes(L)&&(u=new URL(ME.src)).searchParams.get('lang')!=L){u.searchParams.set('lang',L);ME=D.createElement('script');ME.src=u;ME.nonce=NC;D.head.append(ME);return}
P.forEach(p=>K[p.key]=p);
if(!C.texts[L])L=C.lang;
var T=C.texts[L]||{},U=T.ui||{},X=T.purposes||{},SEL='[data-bandeau],[data-bandeau-feature],[data-bandeau-feature-off]';
var S={},F,N=[],I=null,Y,A={},RD,LB,R,B,M,V,O,Z,Q,G,SP,DI,RT=2e3;

// ---- helpers. h(tag, attributes, ...children): null/false attributes are left out, true is '';
// children may be nested arrays, falsy ones are left out
var h=(t,a,...c)=>{var e=D.createElement(t),k;for(k in a)a[k]!=null&&a[k]!==!1&&e.setAttribute(k,a[k]===!0?'':a[k]);e.append(...c.flat(9).filter(x=>x));return e};
var fm=(s,v)=>String(s||'').replace(/\{\w+\}/g,()=>v);
var nm=k=>(X[k]||{}).name||k,own=k=>K.hasOwnProperty(k),fo=t=>t.focus({preventScroll:!0});
// a name, or a prefix when the pattern ends with *
var mt=(p,x)=>p.slice(-1)=='*'?!x.indexOf(p.slice(0,-1)):x==p;
var jar=()=>{var o={};D.cookie.split('; ').forEach(c=>{var i=c.indexOf('=');if(i>0)o[c.slice(0,i)]=c.slice(i+1)});return o};
var ls=f=>{try{return f(localStorage)}catch(e){}};

// ---- state, by the server's rule: a purpose keeps the cookie's answer while its digest is
// current; else it takes its default and a consent purpose is pending, unless GPC answered it
// (a purpose marked gpc counts as refused under Global Privacy Control, GPC-03)
// (a choice the server has not acknowledged yet is kept, unsigned, in the cookie CK_p, and
// counts on every page until the signed cookie replaces it)
var dj=v=>{try{v=JSON.parse(atob(v.split('.')[0].replace(/-/g,'+').replace(/_/g,'/')));return v.s===C.site&&v.x>Date.now()/1e3&&v}catch(e){}},j=jar(),p=dj(j[CK]||''),q=dj(j[CK+'_p']||'');
I=p&&p.i||null;DI=p&&p.d;p=q||p;
P.forEach(o=>{
var k=o.key,c=p&&p.p&&p.p[k];
S[k]=o.kind=='necessary'||(c&&c[1]===o.digest?c[0]===1:(o.kind=='consent'&&!(GPC&&o.gpc)&&N.push(k),!!o.default))});
Y=!!p&&!N[0];
// a feature is on when every purpose that lists it is allowed (as the middleware says)
var ft=()=>{F={};P.forEach(o=>o.features.forEach(n=>F[n]=F[n]!==!1&&S[o.key]))};
// EXPR: space-separated terms that must all hold; "key" allowed, "!key" refused; unknown key = false
var vl=k=>own(k)&&S[k];
var ok=x=>{var t=String(x||'').trim().split(/\s+/);return!!t[0]&&t.every(k=>k[0]=='!'?!vl(k.slice(1)):vl(k))};
var cs=()=>({id:I,decided:!!Y,purposes:{...S},features:{...F},pending:[...N]});

// ---- enforcement on one element: features, gated scripts, embeds, any other gated element.
// Scripts wait for the parsed DOM (their text is complete then) and go in document order.
function up(e){
var d=e.dataset||{},x=d.bandeau,f=d.bandeauFeature,g=d.bandeauFeatureOff,u=d.bandeauSrc,on;
if(f!=null)e.hidden=F[f]!==!0;
if(g!=null)e.hidden=F[g]===!0;
if(x==null||e._bd)return;
on=ok(x);
if(e.tagName=='SCRIPT')on&&e.type=='text/plain'&&D.readyState!='loading'&&rn(e,x);
else if(!u)e.hidden=!on;
else if(on){mk(e,x);e.src=u;e.hidden=!1;e._ph&&e._ph.remove()}
else{e.hidden=!0;e._ph||ph(e,x)}}
var mk=(e,x)=>{e._bd=1;x.split(/\s+/).forEach(k=>own(k)&&(A[k]=1))};
var all=()=>D.querySelectorAll(SEL).forEach(up);
// a real script with the same attributes, under this script's nonce; external ones keep their
// relative order (async false) unless the original said async
function rn(o,x){
mk(o,x);
var s=D.createElement('script'),t=o.dataset.type;
[...o.attributes].forEach(a=>/^(type|data-bandeau|data-type|nonce)$/.test(a.name)||s.setAttribute(a.name,a.value));
if(t)s.type=t;
s.nonce=o.nonce||NC;s.async=o.hasAttribute('async');s.text=o.text;
o.replaceWith(s)}
function ph(e,x){
var k=x.trim().split(/\s+/).filter(k=>own(k)&&!S[k]),n=k.map(nm).join(', '),j=k.join(' ');
k[0]&&e.before(e._ph=h('div',{class:'bd-ph',lang:L,'data-bandeau-placeholder':j},[h('p',0,fm(U.placeholder,n)),h('button',{type:'button',class:'bd-b','data-bandeau-action':'grant','data-bandeau-grant':j},fm(U.placeholder_button,n))]))}
// a refused purpose's cookies (path /; host-only, declared domain, every parent domain), then its
// localStorage and sessionStorage keys. The consent cookie is never touched.
function wp(o){
var d=LO.hostname.split('.');
Object.keys(jar()).forEach(x=>o.cookies.forEach(c=>x!=CK&&mt(c.name,x)&&['',c.domain,...d.map((_,i)=>d.slice(i).join('.'))].forEach(m=>D.cookie=x+'=;Max-Age=0;Path=/'+(m?';Domain='+m:''))));
['localStorage','sessionStorage'].forEach(n=>{try{var s=W[n];Object.keys(s).forEach(x=>o.storage.forEach(y=>x!=H&&mt(y,x)&&s.removeItem(x)))}catch(e){}})}

// ---- decisions: applied at once, then sent. a action, l layer, c control, k the keys a
// placeholder grants. "Refuse all" leaves exempt purposes as they are (in the settings: as
// their switch says). A grant answers only the purposes it grants: the others keep their state,
// and those never asked stay pending. A script that ran cannot be unrun: when a purpose that an
// activated element needed is now refused, the page reloads once the server has answered.
function dc(a,l,c,k){
var o=S,g=a=='grant',b={id:crypto.randomUUID(),token:jar()[CK]||null,action:a,layer:l,control:c,lang:L,page:LO.pathname,build:C.build,version:C.version,choices:{},gpc:GPC,client_time:Date.now()};
S={};
P.forEach(p=>{
var y=p.key,m=p.kind;
S[y]=m=='necessary'||a=='accept_all'||(g?k.includes(y)||o[y]:a=='save'||m=='exempt'&&l=='settings'?G[y].checked:m=='exempt'&&o[y]);
m!='necessary'&&(!g||k.includes(y))&&(b.choices[y]={granted:S[y],digest:p.digest})});
N=g?N.filter(y=>!k.includes(y)):[];Y=!N[0];
ft();cl(1);
P.forEach(p=>S[p.key]||wp(p));
all();sy(U.saved);
sd(b).then(()=>P.some(p=>A[p.key]&&o[p.key]&&!S[p.key])&&LO.reload());
em('change')}
// the decision stays in localStorage until the server answers; a network or server error keeps
// it for a retry (same id: the server dedupes) while the page stays open, with a delay that
// doubles up to a minute, and on the next page; a rejection (4xx) drops it.
// Only the answer to the last decision sent (LB) writes the cookie.
function sd(b){
var dr=()=>b==LB&&ls(s=>s.removeItem(H));
LB=b;
ls(s=>s.setItem(H,JSON.stringify(b)));
return fetch(C.api+'/decisions',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(b),credentials:'include'}).then(r=>r.json().then(a=>{
if(r.ok){if(b==LB)I=a.consent_id,DI=a.decision_id,D.cookie=CK+'_p=;Max-Age=0;Path=/',D.cookie=CK+'='+a.token+';Max-Age='+a.max_age+';Path=/;SameSite=Lax'+(LO.protocol=='https:'?';Secure':'')+(C.cookie.domain?';Domain='+C.cookie.domain:'');dr()}
else if(r.status<500&&r.status!=429)dr();else throw 0})).catch(()=>{sy(U.offline);if(b==LB){var o={};P.forEach(p=>p.kind!='necessary'&&!N.includes(p.key)&&(o[p.key]=[S[p.key]?1:0,p.digest]));D.cookie=CK+'_p='+btoa(JSON.stringify({s:C.site,x:Date.now()/1e3+C.cookie.days*864e2|0,p:o}))+';Path=/;SameSite=Lax;Max-Age='+C.cookie.days*86400;setTimeout(()=>b==LB&&sd(b),RT=Math.min(RT*2,6e4))}})}

// ---- interface
var ac=(p,l)=>h('div',{class:'bd-a'},l.map(a=>h('button',{type:'button',class:'bd-b',id:p+a.replace('_','-'),'data-bandeau-action':a},U[a])));
var sy=t=>V&&(V.textContent=V.textContent==t?t+'\u00a0':t);
var l1=()=>h('div',{class:'bd-l1',role:'dialog','aria-labelledby':'bd-t','aria-describedby':'bd-d',tabindex:-1},[h('div',{class:'bd-sc'},[
h('h2',{id:'bd-t'},U.title),
h('p',{id:'bd-d'},U.intro),
h('ul',0,P.filter(p=>p.kind!='necessary').map(p=>h('li',0,[h('b',0,nm(p.key)),' \u2014 ',(X[p.key]||{}).short]))),
h('p',0,U.withdraw),
h('p',{class:'bd-m'},[fm(U.controller,T.controller),C.privacy&&[' \u00b7 ',h('a',{href:C.privacy},U.privacy_link)]])]),
ac('bd-',['accept_all','refuse_all','customise'])]);
// settings: a modal <dialog>, built by settings.js (with the details: descriptions, services,
// cookies), which loads with its stylesheet the first time. Esc and the close button go back
// without deciding. If it cannot load (the server is down), the first layer shows instead: its
// buttons still accept or refuse everything.
function op(f){
if(!R||M)return;
var z=W.bandeau._settings,n=2,go=()=>--n||op(1),e;
if(!z){if(f){B||R.append(B=l1());sh(1);return}
e=h('link',{rel:'stylesheet',href:C.api+'/settings.css?v='+C.version+C.build});e.onload=e.onerror=go;D.head.append(e);
e=h('script',{src:C.api+'/settings.js?lang='+L+'&v='+C.version+C.build});e.nonce=NC;e.onload=e.onerror=go;D.head.append(e);return}
Q=D.activeElement;G={};
M=z({h,P,S,X,U,G,ac,I:DI,api:C.api});
M.oncancel=e=>{e.preventDefault();cl()};
M.onclose=()=>cl();
B&&(B.hidden=!0);R.append(M);M.showModal();fo(M)}
// x: a decision was just made. Undecided: back to the first layer. Focus returns to the opener
// (or, when it is gone, to what had focus before the first layer showed).
function cl(x){
var d=M,t=Q;
if(!d&&!x)return;
M=Q=null;d&&(d.close(),d.remove());
Y?(B&&(B.hidden=!0),O&&(O.hidden=!1)):B&&sh();
t&&t.isConnected&&t.getClientRects()[0]||(t=Z);t&&t.focus&&fo(t)}
// the first layer takes focus in the next frame: no forced layout while the page is parsed
function sh(f){B.hidden=!1;O.hidden=!0;f&&(Z=D.activeElement,requestAnimationFrame(()=>fo(B)))}

// ---- events, public API, clicks, focus
var em=n=>D.dispatchEvent(new CustomEvent('bandeau:'+n,{detail:cs()}));
W.bandeau={consent:cs,allowed:ok,open:()=>op(),close:()=>cl(),
on:(n,f)=>{D.addEventListener('bandeau:'+n,f._bd=f._bd||(e=>f(e.detail)));n=='ready'&&RD&&f(cs())},
off:(n,f)=>D.removeEventListener('bandeau:'+n,f._bd)};
D.addEventListener('click',e=>{
var t=e.target.closest&&e.target.closest('[data-bandeau-action],[data-bandeau-open]'),a=t&&t.dataset.bandeauAction,g=t&&t.dataset.bandeauGrant;
if(!t)return;
if(!a){e.preventDefault();op()}
else if(g)dc('grant','placeholder','bd-grant-'+g.trim().replace(/\s+/g,'-'),g.split(/\s+/));
else if(R&&R.contains(t))a=='customise'?op():a=='close'?cl():dc(a,M&&M.contains(t)?'settings':'first',t.id)},!0);
// a page element that gets focus is scrolled clear of the first layer (WCAG 2.4.11); a spacer
// at the end of the page, as tall as the first layer (the stylesheet hides it with the layer),
// makes room for that at the bottom of the page
D.addEventListener('focusin',e=>{
var r=B&&!B.hidden&&!R.contains(e.target)&&e.target.getBoundingClientRect(),y=r&&B.getBoundingClientRect().top;
r&&r.bottom>y&&(SP||D.body.append(SP=h('div',{class:'bd-sp'})),SP.style.height=B.offsetHeight+'px',scrollBy(0,r.bottom-y+8))});

// ---- start: state applied now, each element as the parser adds it, the interface as soon
// as <body> exists, "ready" once the document is parsed (then a decision left unsent is retried)
ft();
// (the parser reports every element it adds; a subtree added by code is searched)
new MutationObserver(m=>m.forEach(r=>r.addedNodes.forEach(n=>{if(n.nodeType==1){n.matches(SEL)&&up(n);D.readyState!='loading'&&n.firstElementChild&&n.querySelectorAll(SEL).forEach(up)}}))).observe(D.documentElement,{childList:!0,subtree:!0});
function bt(){
R=h('div',{id:'bandeau',lang:L},[V=h('div',{class:'bd-sr',role:'status'}),O=h('button',{type:'button',id:'bandeau-icon','data-bandeau-open':'','aria-label':U.manage})]);
D.body.prepend(R);
N[0]&&(R.append(B=l1()),sh(1));
all()}
function rd(){
all();RD=1;em('ready')}
// a decision the server never acknowledged is sent again (same id) once the page is loaded and
// idle (reading localStorage can block), unless the reader decided on this page (LB is set)
var rt=()=>(W.requestIdleCallback||setTimeout)(()=>{var q=ls(s=>JSON.parse(s.getItem(H)));q&&q.id&&!LB&&sd(q)});
D.readyState=='complete'?rt():W.addEventListener('load',rt);
D.body?bt():D.addEventListener('DOMContentLoaded',bt);
D.readyState=='loading'?D.addEventListener('DOMContentLoaded',rd):rd();
})();
