// Fault cases of `dlrm train --precision bf16`: where bf16 cannot run (a CPU without AVX512_BF16, simulated by
// DLRM_NATIVE_BF16=off; the tfjs engine or a tfjs backend asked for) the run ends with one `dlrm: ` line,
// exit 2 and no checkpoint; a bf16 checkpoint resumed there is refused the same way (a resumed run keeps
// its precision unless told --precision fp32), while `dlrm eval` of it runs (evaluation is fp32).
import * as path from 'node:path';
import { loadNativeAddon, bf16Unavailable } from '../../src/engine/native/nativeAddon';
import type { FaultCase, FaultRun } from './faultCase';
import { runDlrm } from './faultCase';
import { safetyData, SMALL_MODEL } from './safetyFixtures';

const OFF = { DLRM_NATIVE_BF16: 'off' };

/** Why a bf16 checkpoint cannot be trained here, or undefined. */
function noBf16(): string | undefined {
  const { addon, reason } = loadNativeAddon();
  return addon ? bf16Unavailable(addon) : reason;
}

/** A checkpoint trained with --precision bf16 on the shared processed file, in `dir`. */
async function bf16Checkpoint(dir: string): Promise<{ processed: string; ckpt: string }> {
  const { processed } = await safetyData();
  const ckpt = path.join(dir, 'bf16.ckpt');
  const r = runDlrm([
    'train',
    '--processed-data-file',
    processed,
    ...SMALL_MODEL,
    '--precision',
    'bf16',
    '--num-batches',
    '3',
    '--save-model',
    ckpt,
    '--log-level',
    'warn',
  ]);
  if (r.status !== 0) throw new Error(`bf16 training for the fixture failed: ${r.stderr}`);
  return { processed, ckpt };
}

async function trainRun(dir: string, extra: string[], env?: Record<string, string>): Promise<FaultRun> {
  const { processed } = await safetyData();
  const out = path.join(dir, 'out.ckpt');
  return {
    args: [
      'train',
      '--processed-data-file',
      processed,
      ...SMALL_MODEL,
      '--num-batches',
      '2',
      '--save-model',
      out,
      ...extra,
    ],
    env,
    expectExit: 2,
    absent: [out],
  };
}

export const bf16Cases: FaultCase[] = [
  {
    name: 'train --precision bf16 on a CPU without AVX512_BF16',
    kind: 'bad-input',
    prepare: async (dir) => ({
      ...(await trainRun(dir, ['--precision', 'bf16'], OFF)),
      expectMessage:
        /^dlrm: --precision bf16: bf16 is switched off by DLRM_NATIVE_BF16=off; train with --precision fp32$/,
    }),
  },
  {
    name: 'train --precision bf16 --engine tfjs',
    kind: 'bad-input',
    prepare: async (dir) => ({
      ...(await trainRun(dir, ['--precision', 'bf16', '--engine', 'tfjs'])),
      expectMessage: /^dlrm: --precision bf16 runs on the native engine only/,
    }),
  },
  {
    name: 'train --precision bf16 --backend cpu',
    kind: 'bad-input',
    prepare: async (dir) => ({
      ...(await trainRun(dir, ['--precision', 'bf16', '--backend', 'cpu'])),
      expectMessage: /^dlrm: --precision bf16 runs on the native engine only/,
    }),
  },
  {
    name: 'train --load-model of a bf16 checkpoint on a CPU without AVX512_BF16',
    kind: 'bad-input',
    skip: noBf16,
    prepare: async (dir) => {
      const { processed, ckpt } = await bf16Checkpoint(dir);
      const out = path.join(dir, 'resumed.ckpt');
      return {
        args: [
          'train',
          '--processed-data-file',
          processed,
          '--load-model',
          ckpt,
          '--nepochs',
          '2',
          '--save-model',
          out,
        ],
        env: OFF,
        expectExit: 2,
        expectMessage:
          /^dlrm: --precision bf16: bf16 is switched off by DLRM_NATIVE_BF16=off; train with --precision fp32$/,
        absent: [out],
        unchanged: [ckpt],
      };
    },
  },
  {
    name: 'eval of a bf16 checkpoint on a CPU without AVX512_BF16 runs (evaluation is fp32)',
    kind: 'bad-input',
    skip: noBf16,
    prepare: async (dir) => {
      const { processed, ckpt } = await bf16Checkpoint(dir);
      return {
        args: ['eval', '--processed-data-file', processed, '--load-model', ckpt, '--json', '--log-level', 'warn'],
        env: OFF,
        expectExit: 0,
        unchanged: [ckpt],
        check: (r) => (/"auc":\s*0\.\d+/.test(r.stdout) ? undefined : `no AUC on stdout: ${r.stdout.slice(0, 200)}`),
      };
    },
  },
];
