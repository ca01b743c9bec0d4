const f = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return [m.heapUsed, m.rss]; };
const [h0, r0] = f();
for (const m of process.argv.slice(2)) await import(m);
await new Promise((r) => setTimeout(r, 200));
const [h1, r1] = f();
console.log(process.argv.slice(2).join(' ').replace(/\/work\/main\/dist\//g, ''), 'heap +', ((h1 - h0) / 1048576).toFixed(2), 'MiB  rss +', ((r1 - r0) / 1048576).toFixed(2));
