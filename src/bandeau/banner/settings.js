// bandeau settings: the second layer, loaded the first time a reader opens it (docs/banner.md).
// bandeau.banner.render_settings() inlines the details (each purpose's description, what
// refusing changes, its services, cookies and lifetimes, and the words they need) at the token
// below. banner.js calls bandeau._settings with what it shares: h (its element builder), P the
// purposes, S their states, X their names, U its words, G (filled here: switch by key), ac (its
// action bar builder), I the decision its cookie carries, api.
(function(){
'use strict';
var DE=__BANDEAU_DETAILS__,E=DE.ui,DP=DE.purposes;
bandeau._settings=function(x){
var h=x.h,U=x.U,X=x.X,S=x.S,G=x.G;
// one settings row: band and state label follow the switch as it moves
function rw(p){
var k=p.key,t=X[k]||{},d=DP[k]||{},v=d.services||[],nc=p.kind=='necessary',i='bd-c-'+k,bd=h('span',{class:'bd-band','data-bandeau-band':''}),st=h('span',{class:'bd-st'}),cb=h('input',{type:'checkbox',role:'switch',id:i,checked:S[k],disabled:nc}),
sn=()=>{var v=cb.checked;bd.dataset.state=v?'allowed':'refused';st.textContent=nc?U.always_on:v?U.allowed:U.refused;cb.ariaChecked=v};
cb.onchange=sn;sn();nc||(G[k]=cb);
return h('section',{class:'bd-p','data-bandeau-purpose':k},[bd,h('div',{class:'bd-r'},[h('h3',0,h('label',{for:i},t.name||k)),st,cb]),h('p',0,d.description||t.short),
d.refusal&&h('p',0,[h('b',0,E.refusal_label),' \u2014 ',d.refusal]),
v[0]&&h('details',0,h('summary',0,E.services),h('ul',0,v.map(s=>h('li',0,h('b',0,s.name),' '+s.hosts.join(' '),s.cookies.map(c=>[h('br'),c.name+' \u2014 '+E.lifetime+' '+c.lifetime])))))])}
return h('dialog',{class:'bd-l2',role:'dialog','aria-modal':'true','aria-labelledby':'bd-t2',tabindex:-1},[h('div',{class:'bd-hd'},[h('h2',{id:'bd-t2'},U.settings_title),h('button',{type:'button',class:'bd-x',id:'bd-close','data-bandeau-action':'close','aria-label':U.close},'\u00d7')]),h('div',{class:'bd-sc'},x.P.map(rw),x.I&&h('p',{class:'bd-m'},h('a',{href:x.api+'/decisions/'+x.I+'/receipt',download:''},E.receipt))),x.ac('bd-s-',['accept_all','refuse_all','save'])])}
})();
