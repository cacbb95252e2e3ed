// `dlrm import --format safetensors`: a reference PyTorch DLRM_Net state_dict (e.g. from `dlrm export`, or
// saved with safetensors.torch.save_file), or TorchRec's DLRM state_dict, to a dlrm checkpoint for eval, predict and fine-tuning (docs/EXPORT.md).
import { Command } from 'commander';
import type { InteractionOp, OptimizerName } from '../model/arch';
import { choiceOption, floatOption, intOption, layerListOption } from '../util/options';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adagrad', 'rowwise-adagrad'];

interface ImportCliOptions extends CommonOptions {
  format: string;
  in: string;
  out: string;
  archInteractionOp?: InteractionOp;
  archInteractionItself?: boolean;
  archMlpBot?: number[];
  archMlpTop?: number[];
  maxIndRange?: number;
  lossThreshold?: number;
  optimizer: OptimizerName;
  processedDataFile?: string;
}

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description(
      "turn a safetensors DLRM state_dict, the reference DLRM_Net's (emb_l.N.weight, bot_l.K.*, top_l.K.*) or TorchRec's DLRM (sparse_arch..., dense_arch..., over_arch...), into a dlrm checkpoint",
    )
    .requiredOption('--format <safetensors>', 'the input format: safetensors')
    .requiredOption('--in <path>', 'the safetensors file')
    .requiredOption('--out <path>', 'the checkpoint to write (atomically)')
    .option(
      '--arch-interaction-op <dot|cat>',
      "the interaction, when the file has no dlrm_arch metadata and the top MLP's input width does not tell",
      choiceOption(['dot', 'cat'] as const),
    )
    .option('--arch-interaction-itself', 'dot: the interaction keeps the diagonal (with --arch-interaction-op)')
    .option('--arch-mlp-bot <n1-n2-...>', 'checked against the tensor shapes', layerListOption)
    .option(
      '--arch-mlp-top <n1-n2-...>',
      'checked against the tensor shapes (without the input width)',
      layerListOption,
    )
    .option(
      '--max-ind-range <M>',
      'the --max-ind-range the model was trained with (default: the file metadata, else 0)',
      intOption(0),
    )
    .option(
      '--loss-threshold <t>',
      'the --loss-threshold the model was trained with (default: the file metadata, else 0)',
      floatOption(0, 0.5),
    )
    .option(
      '--optimizer <name>',
      `optimizer state (zero) to hold for fine-tuning: ${OPTIMIZERS.join(', ')}`,
      choiceOption(OPTIMIZERS),
      'sgd',
    )
    .option(
      '--processed-data-file <path>',
      'the processed file whose vocabularies the model follows (eval/predict then find it)',
    );
  addCommonOptions(cmd).action(
    runAction(async (o: ImportCliOptions) => {
      const { runImport } = await import('../export/importSafetensors');
      const { arch } = runImport({
        format: o.format,
        in: o.in,
        out: o.out,
        interactionOp: o.archInteractionOp,
        interactionItself: o.archInteractionItself,
        mlpBot: o.archMlpBot,
        mlpTop: o.archMlpTop,
        maxIndRange: o.maxIndRange,
        lossThreshold: o.lossThreshold,
        optimizer: o.optimizer,
        processedDataFile: o.processedDataFile,
      });
      process.stdout.write(
        `wrote ${o.out}: bottom MLP ${arch.mlpBot.join('-')}, top MLP ${arch.mlpTop.join('-')}, ${arch.tableSizes.length} tables of dimension ${arch.embeddingDim}, ${arch.interaction}${arch.interactionItself ? ' (itself)' : ''}\n`,
      );
    }),
  );
}
