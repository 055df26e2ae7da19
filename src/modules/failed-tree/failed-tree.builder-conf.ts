// The builder's `<config-dir>/builder/plugins/save_failed_tree.conf` (Koji's
// /etc/kojid/plugins/save_failed_tree.conf), re-read on every task as Koji does, so an edit takes
// effect without restarting the builder. Koji's code reads `[general] volume` while the file Koji
// ships sets `[global] volume` (spec §7 S1: the setting was never read); koji-es reads `[general]`
// and, when it has no volume, `[global]`, so both an admin's copy of Koji's file and Koji's documented
// key work.
import { join } from 'node:path';
import { iniGet } from '../../config/ini.js';
import { readIni, unknownKeys } from '../../config/values.js';

export const SFT_BUILDER_CONF = 'builder/plugins/save_failed_tree.conf' as const;

/** Where tarballs go when the file names no volume: a volume of their own, not Koji's default. */
export const DEFAULT_TREE_VOLUME = 'failed-tree';

export interface SaveFailedTreeBuilderConf {
  file: string;
  /** `[filters] paths`, split on whitespace as Koji does (commas are part of a glob). */
  filters: string[];
  /** The volume's name as TreeArchived records it (`DEFAULT` for Koji's default volume). */
  volume: string;
  /** Where the key came from, for the task's log. */
  volumeFrom: '[general] volume' | '[global] volume' | 'default';
  /** Keys koji-es does not read. */
  warnings: string[];
}

/** Reads the file; a missing file means no config filters (the mandatory ones still apply). */
export function loadSaveFailedTreeConf(configDir: string): SaveFailedTreeBuilderConf {
  const ini = readIni(configDir, SFT_BUILDER_CONF);
  const value = (section: string, key: string) => iniGet(ini, section, key)?.value.trim() || undefined;
  const general = value('general', 'volume');
  const global = value('global', 'volume');
  const volume = general ?? global ?? DEFAULT_TREE_VOLUME;
  return {
    file: join(configDir, SFT_BUILDER_CONF),
    filters: (iniGet(ini, 'filters', 'paths')?.value ?? '').split(/\s+/).filter(Boolean),
    volume,
    volumeFrom: general ? '[general] volume' : global ? '[global] volume' : 'default',
    warnings: unknownKeys(ini, SFT_BUILDER_CONF),
  };
}
