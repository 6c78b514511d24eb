import { chromium } from 'playwright-core';
const b = await chromium.launch({executablePath:'/usr/bin/chromium', args:['--headless','--no-sandbox','--disable-gpu','--disable-background-networking']});
const base='http://127.0.0.1:3999';
for (const w of [1440, 390]) {
  const p = await b.newPage({viewport:{width:w,height:900}});
  const failed=[]; p.on('requestfailed', r=>failed.push(r.url())); p.on('console', m=>{ if(m.type()==='error') failed.push('console:'+m.text())});
  await p.goto(base+'/'); await p.waitForTimeout(1500);
  await p.screenshot({path:`/tmp/shots/products-${w}.png`});
  await p.goto(base+'/import-export'); await p.waitForTimeout(1000);
  await p.screenshot({path:`/tmp/shots/transfer-${w}.png`, fullPage:true});
  await p.goto(base+'/statistics'); await p.waitForTimeout(1000);
  await p.screenshot({path:`/tmp/shots/stats-${w}.png`, fullPage:true});
  console.log(w, 'failed', failed.slice(0,5));
}
await b.close();
