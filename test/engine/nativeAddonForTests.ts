// The native addon for the engine tests: loaded once; tests skip with the reason when it is not built,
// except when DLRM_REQUIRE_NATIVE is set (.ci/run sets it once OpenBLAS is installed): then it fails.
import { loadNativeAddon, type NativeAddon } from '../../src/engine/native/nativeAddon';

const load = loadNativeAddon();

export const nativeAddon: NativeAddon | undefined = load.addon;

/** A node:test `skip` value: false when the addon is there, else the reason. */
export const nativeSkip: string | false = load.addon ? false : `native addon not built (${load.reason})`;

if (!load.addon && process.env.DLRM_REQUIRE_NATIVE)
  throw new Error(`DLRM_REQUIRE_NATIVE is set but the native engine is not built: ${load.reason}`);
