// The build's last step: the page and its stylesheet next to the compiled scripts in dist/dashboard.
import { cpSync } from 'node:fs';

cpSync(new URL('./static/', import.meta.url), new URL('../dist/dashboard/', import.meta.url), { recursive: true });
