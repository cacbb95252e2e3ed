// The native addon for the engine tests: loaded once; tests skip with the reason when it is not built,
// except under CI (CI=true), whose .ci/run installs OpenBLAS, where a missing build fails instead.
import { loadNativeAddon, type NativeAddon } from '../../src/engine/native/nativeAddon';

const load = loadNativeAddon();

export const nativeAddon: NativeAddon | undefined = load.addon;

/** A node:test `skip` value: false when the addon is there, else the reason. */
export const nativeSkip: string | false = load.addon ? false : `native addon not built (${load.reason})`;

if (!load.addon && process.env.CI) throw new Error(`CI must build the native engine: ${load.reason}`);
