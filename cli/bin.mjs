#!/usr/bin/env node
// `npx mpfleet …` from the repo, without a build step: tsx compiles the TypeScript on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main();
