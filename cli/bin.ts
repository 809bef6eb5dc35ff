// The `mpfleet` bin: cli/build.mjs bundles this file into cli/dist/mpfleet.mjs, which plain node runs.
import { main } from './main';

await main();
