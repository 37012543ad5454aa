// UPS-RS (PS3.18 §11) through the HTTP server of a real process: createApp with the worklist feature
// over an embedded PGlite database (in a temporary folder), requests injected into Fastify.
import { Tag } from '@pacs/dicom';
import { createApp, type App } from '@pacs/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpsWarning } from './ups';
import { WorklistFeature } from './worklist.module';

const json = 'application/dicom+json';

function workitem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    [Tag.ProcedureStepState]: { vr: 'CS', Value: ['SCHEDULED'] },
    [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['MEDIUM'] },
    [Tag.ProcedureStepLabel]: { vr: 'LO', Value: ['CT Head'] },
    [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20240305083000'] },
    [Tag.InputReadinessState]: { vr: 'CS', Value: ['READY'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Hans' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['PAT001'] },
    [Tag.IssuerOfPatientID]: { vr: 'LO', Value: ['HOSP'] },
    [Tag.ScheduledStationClassCodeSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.CodeValue]: { vr: 'SH', Value: ['CT'] },
          [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: ['DCM'] },
          [Tag.CodeMeaning]: { vr: 'LO', Value: ['Computed Tomography'] },
        },
      ],
    },
    [Tag.ScheduledStationNameCodeSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.CodeValue]: { vr: 'SH', Value: ['CT01'] },
          [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: ['99PACS'] },
          [Tag.CodeMeaning]: { vr: 'LO', Value: ['CT scanner 1'] },
        },
      ],
    },
    [Tag.ReferencedRequestSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.AccessionNumber]: { vr: 'SH', Value: ['ACC0001'] },
          [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.1'] },
          [Tag.RequestedProcedureID]: { vr: 'SH', Value: ['RP0001'] },
        },
      ],
    },
    ...overrides,
  };
}

const stateChange = (state: string, transactionUid?: string): Record<string, unknown> => ({
  [Tag.ProcedureStepState]: { vr: 'CS', Value: [state] },
  ...(transactionUid ? { [Tag.TransactionUID]: { vr: 'UI', Value: [transactionUid] } } : {}),
});

describe('UPS-RS worklist (PS3.18 §11)', () => {
  let created: App;
  let dataDir: string;
  let n = 0;
  const uid = (): string => `1.2.826.0.1.3680043.8.498.9${Date.now() % 100000}.${++n}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pacs-worklist-'));
    created = await createApp({
      name: 'pacs',
      features: [WorklistFeature],
      env: {},
      overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'silent', PACS_PRIORS_PREFETCH_COUNT: '0' },
    });
  }, 60_000);
  afterAll(async () => {
    await created.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, type = json) =>
    created.app.inject({
      method,
      url,
      headers: payload === undefined ? { accept: json } : { accept: json, 'content-type': type },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  const create = async (w = uid(), body = workitem()) => {
    const res = await inject('POST', `/dicomweb/workitems?${w}`, [body]);
    expect(res.statusCode).toBe(201);
    return w;
  };
  const warning = (res: { headers: Record<string, unknown> }): string => String(res.headers.warning ?? '');

  describe('Create (§11.4)', () => {
    it('answers 201 with Location and stores the workitem SCHEDULED', async () => {
      const w = uid();
      const res = await inject('POST', `/dicomweb/workitems?${w}`, [workitem()]);
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toMatch(new RegExp(`/dicomweb/workitems/${w.replace(/\./g, '\\.')}$`));
      expect(res.body).toBe('');
      const got = await inject('GET', `/dicomweb/workitems/${w}`);
      expect(got.statusCode).toBe(200);
      const [ds] = JSON.parse(got.body) as Record<string, { Value?: unknown[] }>[];
      expect(ds![Tag.SOPInstanceUID]!.Value).toEqual([w]);
      expect(ds![Tag.SOPClassUID]!.Value).toEqual(['1.2.840.10008.5.1.4.34.6.1']);
      expect(ds![Tag.ProcedureStepState]!.Value).toEqual(['SCHEDULED']);
      expect(ds![Tag.ScheduledProcedureStepModificationDateTime]!.Value![0]).toMatch(/^\d{14}\.\d{6}\+0000$/);
    });

    it('takes the Workitem UID from the payload when the query gives none', async () => {
      const w = uid();
      const res = await inject('POST', '/dicomweb/workitems', [
        workitem({ [Tag.SOPInstanceUID]: { vr: 'UI', Value: [w] } }),
      ]);
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toContain(w);
      expect(warning(res)).toBe('');
    });

    it('assigns a Workitem UID when none is given, with the "created with modifications" warning', async () => {
      const res = await inject('POST', '/dicomweb/workitems', [workitem()]);
      expect(res.statusCode).toBe(201);
      expect(warning(res)).toContain(UpsWarning.createdWithModifications);
      expect(res.headers.location).toMatch(/\/workitems\/2\.25\.\d+$/);
    });

    it('answers 409 when the workitem exists (Table 11.4.3-1)', async () => {
      const w = await create();
      const res = await inject('POST', `/dicomweb/workitems?${w}`, [workitem()]);
      expect(res.statusCode).toBe(409);
    });

    it.each([
      ['a state other than SCHEDULED', { [Tag.ProcedureStepState]: { vr: 'CS', Value: ['IN PROGRESS'] } }],
      ['a Transaction UID', { [Tag.TransactionUID]: { vr: 'UI', Value: ['1.2.3'] } }],
      ['no Procedure Step Label', { [Tag.ProcedureStepLabel]: { vr: 'LO' } }],
      ['an invalid priority', { [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['URGENT'] } }],
      ['an invalid start date-time', { [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['2024-03'] } }],
      ['no Input Readiness State', { [Tag.InputReadinessState]: { vr: 'CS' } }],
      ['a non-UPS SOP Class', { [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] } }],
    ])('answers 400 for a payload with %s', async (_what, override) => {
      const res = await inject('POST', `/dicomweb/workitems?${uid()}`, [workitem(override)]);
      expect(res.statusCode).toBe(400);
    });

    it('answers 400 for malformed DICOM JSON and 415 for another media type', async () => {
      expect((await inject('POST', `/dicomweb/workitems?${uid()}`, [{ nottag: {} }])).statusCode).toBe(400);
      expect((await inject('POST', `/dicomweb/workitems?${uid()}`, '[{"00741000": 3}]')).statusCode).toBe(400);
      expect((await inject('POST', `/dicomweb/workitems?${uid()}`, '{not json')).statusCode).toBe(400);
      expect((await inject('POST', `/dicomweb/workitems?${uid()}`, [workitem(), workitem()])).statusCode).toBe(400);
      expect((await inject('POST', `/dicomweb/workitems?${uid()}`, '<xml/>', 'application/xml')).statusCode).toBe(415);
    });
  });

  describe('Retrieve (§11.5)', () => {
    it('answers 404 for an unknown workitem and 400 for an invalid UID', async () => {
      expect((await inject('GET', `/dicomweb/workitems/${uid()}`)).statusCode).toBe(404);
      expect((await inject('GET', '/dicomweb/workitems/not.a.uid')).statusCode).toBe(400);
    });

    it('never returns the Transaction UID of a claimed workitem', async () => {
      const w = await create();
      const txn = '1.2.826.0.1.3680043.8.498.77';
      expect((await inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange('IN PROGRESS', txn))).statusCode).toBe(
        200,
      );
      const got = await inject('GET', `/dicomweb/workitems/${w}`);
      expect(got.body).not.toContain(txn);
      expect(got.body).not.toContain(Tag.TransactionUID);
      expect(JSON.parse(got.body)[0][Tag.ProcedureStepState].Value).toEqual(['IN PROGRESS']);
    });
  });

  describe('Change State (§11.7, PS3.4 Table CC.1.1-2)', () => {
    const txn = '1.2.826.0.1.3680043.8.498.100';
    const other = '1.2.826.0.1.3680043.8.498.101';
    const put = (w: string, state: string, t?: string) =>
      inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange(state, t));
    const state = async (w: string) =>
      (JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body) as Record<string, { Value: string[] }>[])[0]![
        Tag.ProcedureStepState
      ]!.Value[0];

    it('moves SCHEDULED → IN PROGRESS → COMPLETED with the owner’s Transaction UID, filling the final state', async () => {
      const w = await create();
      expect((await put(w, 'IN PROGRESS', txn)).statusCode).toBe(200);
      expect(await state(w)).toBe('IN PROGRESS');
      const done = await put(w, 'COMPLETED', txn);
      expect(done.statusCode).toBe(200);
      expect(done.body).toBe('');
      const ds = JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body)[0];
      expect(ds[Tag.ProcedureStepState].Value).toEqual(['COMPLETED']);
      const performed = ds[Tag.UnifiedProcedureStepPerformedProcedureSequence].Value[0];
      expect(performed[Tag.PerformedProcedureStepStartDateTime].Value[0]).toMatch(/^\d{14}/);
      expect(performed[Tag.PerformedProcedureStepEndDateTime].Value[0]).toMatch(/^\d{14}/);
    });

    it('moves IN PROGRESS → CANCELED with the owner’s Transaction UID', async () => {
      const w = await create();
      await put(w, 'IN PROGRESS', txn);
      expect((await put(w, 'CANCELED', txn)).statusCode).toBe(200);
      const ds = JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body)[0];
      expect(ds[Tag.ProcedureStepState].Value).toEqual(['CANCELED']);
      expect(
        ds[Tag.ProcedureStepProgressInformationSequence].Value[0][Tag.ProcedureStepCancellationDateTime].Value[0],
      ).toMatch(/^\d{14}/);
    });

    it('answers 400 "The Transaction UID is incorrect." for another Transaction UID (Table 11.7.3-1)', async () => {
      const w = await create();
      await put(w, 'IN PROGRESS', txn);
      const res = await put(w, 'COMPLETED', other);
      expect(res.statusCode).toBe(400);
      expect(warning(res)).toContain(UpsWarning.transactionUidIncorrect);
      expect(await state(w)).toBe('IN PROGRESS');
    });

    it('answers 400 "The Transaction UID is missing." without one', async () => {
      const w = await create();
      const res = await put(w, 'IN PROGRESS');
      expect(res.statusCode).toBe(400);
      expect(warning(res)).toContain(UpsWarning.transactionUidMissing);
    });

    it.each([
      ['SCHEDULED → COMPLETED (C310)', [] as string[], 'COMPLETED'],
      ['SCHEDULED → CANCELED (C310)', [], 'CANCELED'],
      ['any → SCHEDULED (C303)', [], 'SCHEDULED'],
      ['IN PROGRESS → IN PROGRESS (C302)', ['IN PROGRESS'], 'IN PROGRESS'],
      ['COMPLETED → IN PROGRESS (C300)', ['IN PROGRESS', 'COMPLETED'], 'IN PROGRESS'],
      ['COMPLETED → CANCELED (C300)', ['IN PROGRESS', 'COMPLETED'], 'CANCELED'],
      ['CANCELED → COMPLETED (C300)', ['IN PROGRESS', 'CANCELED'], 'COMPLETED'],
    ])('answers 409 for %s', async (_what, path, target) => {
      const w = await create();
      for (const s of path) expect((await put(w, s, txn)).statusCode).toBe(200);
      const res = await put(w, target, txn);
      expect(res.statusCode).toBe(409);
      expect(warning(res)).toContain(UpsWarning.inconsistentWithUps);
    });

    it.each([
      ['COMPLETED', UpsWarning.alreadyCompleted],
      ['CANCELED', UpsWarning.alreadyCanceled],
    ])('answers 200 with a warning when the workitem already is %s', async (final, text) => {
      const w = await create();
      await put(w, 'IN PROGRESS', txn);
      await put(w, final, txn);
      const res = await put(w, final, txn);
      expect(res.statusCode).toBe(200);
      expect(warning(res)).toContain(text);
    });

    it('answers 404 for an unknown workitem and 400 for an invalid state', async () => {
      expect((await put(uid(), 'IN PROGRESS', txn)).statusCode).toBe(404);
      const w = await create();
      expect((await put(w, 'DONE', txn)).statusCode).toBe(400);
    });

    it('lets exactly one of two concurrent claims win', async () => {
      const w = await create();
      const results = await Promise.all([put(w, 'IN PROGRESS', txn), put(w, 'IN PROGRESS', other)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    });
  });

  describe('Update (§11.6)', () => {
    const txn = '1.2.826.0.1.3680043.8.498.200';
    const label = (text: string) => ({ [Tag.ProcedureStepLabel]: { vr: 'LO', Value: [text] } });
    const labelOf = async (w: string) =>
      JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body)[0][Tag.ProcedureStepLabel].Value[0];

    it('updates a SCHEDULED workitem without a Transaction UID', async () => {
      const w = await create();
      const res = await inject('POST', `/dicomweb/workitems/${w}`, [label('CT Head with contrast')]);
      expect(res.statusCode).toBe(200);
      expect(await labelOf(w)).toBe('CT Head with contrast');
    });

    it('answers 409 for a SCHEDULED workitem given a Transaction UID (not claimed)', async () => {
      const w = await create();
      const res = await inject('POST', `/dicomweb/workitems/${w}?${txn}`, [label('x')]);
      expect(res.statusCode).toBe(409);
      expect(warning(res)).toContain(UpsWarning.notClaimed);
    });

    it('updates an IN PROGRESS workitem with its Transaction UID, and answers 400 without it or with another', async () => {
      const w = await create();
      await inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange('IN PROGRESS', txn));
      expect((await inject('POST', `/dicomweb/workitems/${w}`, [label('a')])).statusCode).toBe(400);
      const wrong = await inject('POST', `/dicomweb/workitems/${w}?1.2.3.4`, [label('b')]);
      expect(wrong.statusCode).toBe(400);
      expect(warning(wrong)).toContain(UpsWarning.transactionUidIncorrect);
      expect((await inject('POST', `/dicomweb/workitems/${w}?transaction-uid=${txn}`, [label('c')])).statusCode).toBe(
        200,
      );
      expect(await labelOf(w)).toBe('c');
      expect((await inject('POST', `/dicomweb/workitems/${w}?${txn}`, [label('d')])).statusCode).toBe(200);
      expect(await labelOf(w)).toBe('d');
    });

    it('answers 400 for a COMPLETED workitem (§11.6.2) and for a payload setting the state', async () => {
      const w = await create();
      expect(
        (
          await inject('POST', `/dicomweb/workitems/${w}`, [
            { [Tag.ProcedureStepState]: { vr: 'CS', Value: ['COMPLETED'] } },
          ])
        ).statusCode,
      ).toBe(400);
      await inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange('IN PROGRESS', txn));
      await inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange('COMPLETED', txn));
      expect((await inject('POST', `/dicomweb/workitems/${w}?${txn}`, [label('late')])).statusCode).toBe(400);
    });

    it('answers 400 when a Type 1 attribute would be emptied, and 404 for an unknown workitem', async () => {
      const w = await create();
      expect(
        (await inject('POST', `/dicomweb/workitems/${w}`, [{ [Tag.ProcedureStepLabel]: { vr: 'LO' } }])).statusCode,
      ).toBe(400);
      expect((await inject('POST', `/dicomweb/workitems/${uid()}`, [label('x')])).statusCode).toBe(404);
    });
  });

  describe('Request Cancellation (§11.8)', () => {
    const txn = '1.2.826.0.1.3680043.8.498.300';
    const reason = { [Tag.ReasonForCancellation]: { vr: 'LT', Value: ['Patient refused'] } };

    it('cancels a SCHEDULED workitem with the reason recorded: 202', async () => {
      const w = await create();
      const res = await inject('POST', `/dicomweb/workitems/${w}/cancelrequest`, [reason]);
      expect(res.statusCode).toBe(202);
      const ds = JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body)[0];
      expect(ds[Tag.ProcedureStepState].Value).toEqual(['CANCELED']);
      expect(ds[Tag.ProcedureStepProgressInformationSequence].Value[0][Tag.ReasonForCancellation].Value).toEqual([
        'Patient refused',
      ]);
    });

    it('records the request on an IN PROGRESS workitem without canceling it: 202', async () => {
      const w = await create();
      await inject('PUT', `/dicomweb/workitems/${w}/state`, stateChange('IN PROGRESS', txn));
      const res = await created.app.inject({ method: 'POST', url: `/dicomweb/workitems/${w}/cancelrequest` });
      expect(res.statusCode).toBe(202);
      const ds = JSON.parse((await inject('GET', `/dicomweb/workitems/${w}`)).body)[0];
      expect(ds[Tag.ProcedureStepState].Value).toEqual(['IN PROGRESS']);
    });

    it('answers 202 with a warning when already CANCELED, 409 when COMPLETED, 404 when unknown', async () => {
      const w = await create();
      await inject('POST', `/dicomweb/workitems/${w}/cancelrequest`, [reason]);
      const again = await inject('POST', `/dicomweb/workitems/${w}/cancelrequest`, [reason]);
      expect(again.statusCode).toBe(202);
      expect(warning(again)).toContain(UpsWarning.alreadyCanceled);

      const done = await create();
      await inject('PUT', `/dicomweb/workitems/${done}/state`, stateChange('IN PROGRESS', txn));
      await inject('PUT', `/dicomweb/workitems/${done}/state`, stateChange('COMPLETED', txn));
      expect((await inject('POST', `/dicomweb/workitems/${done}/cancelrequest`, [reason])).statusCode).toBe(409);
      expect((await inject('POST', `/dicomweb/workitems/${uid()}/cancelrequest`, [reason])).statusCode).toBe(404);
    });
  });

  describe('Search (§11.9)', () => {
    const label = 'search-suite';
    const made: Record<string, string> = {};

    beforeAll(async () => {
      const code = (tag: string, value: string) => ({
        [tag]: {
          vr: 'SQ',
          Value: [
            {
              [Tag.CodeValue]: { vr: 'SH', Value: [value] },
              [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: ['DCM'] },
            },
          ],
        },
      });
      const items: [string, Record<string, unknown>][] = [
        [
          'ct-high',
          {
            ...code(Tag.ScheduledStationClassCodeSequence, 'CT'),
            [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['HIGH'] },
            [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20300102090000'] },
          },
        ],
        [
          'ct-low',
          {
            ...code(Tag.ScheduledStationClassCodeSequence, 'CT'),
            [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['LOW'] },
            [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20300101090000'] },
          },
        ],
        [
          'mr',
          {
            ...code(Tag.ScheduledStationClassCodeSequence, 'MR'),
            ...code(Tag.ScheduledStationNameCodeSequence, 'MR_SCANNER_1'),
            [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20300103100000'] },
            [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Taro' }] },
          },
        ],
      ];
      for (const [name, override] of items) {
        made[name] = await create(uid(), workitem({ [Tag.WorklistLabel]: { vr: 'LO', Value: [label] }, ...override }));
      }
    });

    const search = async (query: string) => {
      const res = await inject('GET', `/dicomweb/workitems?WorklistLabel=${label}&${query}`);
      const uids =
        res.statusCode !== 200 && res.statusCode !== 206
          ? []
          : (JSON.parse(res.body) as Record<string, { Value: string[] }>[]).map((d) => d[Tag.SOPInstanceUID]!.Value[0]);
      return { status: res.statusCode, uids, res };
    };

    it('matches by modality, ordered by scheduled start', async () => {
      const r = await search('ScheduledStationClassCodeSequence.CodeValue=CT');
      expect(r.status).toBe(200);
      expect(r.uids).toEqual([made['ct-low'], made['ct-high']]);
    });

    it('matches by priority, station, state, patient name (case-insensitive) and date-time range', async () => {
      expect((await search('ScheduledProcedureStepPriority=HIGH')).uids).toEqual([made['ct-high']]);
      expect((await search('ScheduledStationNameCodeSequence.CodeValue=MR_SCANNER_1')).uids).toEqual([made.mr]);
      expect((await search('ProcedureStepState=SCHEDULED')).uids).toHaveLength(3);
      expect((await search('PatientName=yamada*')).uids).toEqual([made.mr]);
      expect((await search('ScheduledProcedureStepStartDateTime=20300102-20300103')).uids).toEqual([
        made['ct-high'],
        made.mr,
      ]);
      expect((await search('ScheduledProcedureStepStartDateTime=20300101')).uids).toEqual([made['ct-low']]);
      expect((await search('ReferencedRequestSequence.AccessionNumber=ACC0001')).uids).toHaveLength(3);
    });

    it('answers 204 without matches and 206 with a warning when more exist', async () => {
      expect((await search('ProcedureStepState=COMPLETED')).status).toBe(204);
      const partial = await search('limit=2');
      expect(partial.status).toBe(206);
      expect(partial.uids).toHaveLength(2);
      expect(warning(partial.res)).toContain('There are additional results that can be requested');
      expect((await search('limit=2&offset=2')).uids).toHaveLength(1);
    });

    it('answers 400 for an unknown key, an unsupported matching key and a bad value', async () => {
      expect((await search('NoSuchKeyword=1')).status).toBe(400);
      expect((await search('ScheduledStationClassCodeSequence.CodingSchemeDesignator=DCM')).status).toBe(400);
      expect((await search('ScheduledProcedureStepStartDateTime=yesterday')).status).toBe(400);
    });

    it('never returns Transaction UIDs', async () => {
      const txn = '1.2.826.0.1.3680043.8.498.400';
      await inject('PUT', `/dicomweb/workitems/${made.mr}/state`, stateChange('IN PROGRESS', txn));
      const r = await search('ProcedureStepState=IN PROGRESS');
      expect(r.uids).toEqual([made.mr]);
      expect(r.res.body).not.toContain(txn);
    });
  });

  it('answers 501 to subscriptions, which are not offered', async () => {
    const res = await created.app.inject({ method: 'POST', url: `/dicomweb/workitems/${uid()}/subscribers/VIEWER` });
    expect(res.statusCode).toBe(501);
  });
});
