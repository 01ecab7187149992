// Plugin options are typed from their defineOptions declaration: a misspelt option or a wrong value type does not
// compile (checked by `npm run typecheck`, which fails on an unused @ts-expect-error as well).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineOptions } from '../../src/strax/engine/options.js';
import { Plugin, type ConfigOf, type PluginInputs } from '../../src/strax/engine/plugin.js';
import { hitDtype } from '../../src/strax/dtype/standard.js';
import { Hits } from '../../src/strax/plugins/hits.js';

const OPTIONS = defineOptions({
  hit_min_amplitude: { type: 'int', default: 15, track: true, help: 'threshold' },
  use_channel_map: { type: 'bool', default: false, track: true, help: 'flag' },
  map_name: { type: 'string', default: 'nt', track: false, help: 'name' },
});

class Thresholded extends Plugin<typeof OPTIONS> {
  static override provides = 'thresholded';
  static override dependsOn = ['hits'];
  static override dtype = hitDtype();
  static override options = OPTIONS;

  compute(inputs: PluginInputs): Uint8Array {
    const threshold: number = this.config.hit_min_amplitude;
    // @ts-expect-error misspelt option name
    void this.config.hit_min_amplitde;
    // @ts-expect-error a bool option is not a number
    const wrong: number = this.config.use_channel_map;
    void wrong;
    return threshold > 0 ? inputs.hits! : new Uint8Array(0);
  }
}

describe('typed plugin options', () => {
  it('types this.config from the plugin declaration', () => {
    expectTypeOf<ConfigOf<typeof OPTIONS>>().toEqualTypeOf<{ readonly hit_min_amplitude: number; readonly use_channel_map: boolean; readonly map_name: string }>();
    expectTypeOf<Hits['config']['save_outside_hits_left']>().toEqualTypeOf<number>();
    const p = new Thresholded({ hit_min_amplitude: 15, use_channel_map: false, map_name: 'nt' });
    expect(p.compute({ hits: new Uint8Array(48) }).length).toBe(48);
  });
});
