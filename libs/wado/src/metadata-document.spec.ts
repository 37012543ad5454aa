import { Tag } from '@pacs/dicom';
import {
  arrayContent,
  buildMetadataDocument,
  fingerprintOf,
  parseMetadataDocument,
  renderMetadata,
  serializeMetadataDocument,
} from './metadata-document';

const instance = (sop: string, extra: Record<string, unknown> = {}) => ({
  studyUid: '1.2.3',
  seriesUid: '1.2.3.4',
  sopUid: sop,
  sha256: `sha-${sop}`,
  blobKey: `p/1/${sop}.dcm`,
  datasetJson: JSON.stringify({
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [sop] },
    [Tag.PixelData]: { vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' },
    ...extra,
  }),
});

describe('the series metadata document', () => {
  it('holds every instance with BulkDataURIs that become absolute for the base URL', () => {
    const doc = buildMetadataDocument([instance('1.2.3.4.1'), instance('1.2.3.4.2')]);
    const rendered = JSON.parse(renderMetadata(doc.body, 'http://pacs.example/dicomweb/')) as Record<
      string,
      { BulkDataURI?: string }
    >[];
    expect(rendered).toHaveLength(2);
    expect(rendered[1]![Tag.PixelData]!.BulkDataURI).toBe(
      'http://pacs.example/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.2/bulkdata/7FE00010',
    );
  });

  it('leaves a text value that looks like a BulkDataURI alone', () => {
    const trap = { [Tag.ImageComments]: { vr: 'LT', Value: ['"BulkDataURI":"bulkdata/x'] } };
    const doc = buildMetadataDocument([instance('1.2.3.4.1', trap)]);
    const [rendered] = JSON.parse(renderMetadata(doc.body, 'http://h/dicomweb')) as Record<
      string,
      { Value?: string[] }
    >[];
    expect(rendered![Tag.ImageComments]!.Value).toEqual(['"BulkDataURI":"bulkdata/x']);
  });

  it('survives serialization and refuses what is not a document', () => {
    const doc = buildMetadataDocument([instance('1.2.3.4.1')]);
    expect(parseMetadataDocument(serializeMetadataDocument(doc))).toEqual(doc);
    expect(parseMetadataDocument('[{}]')).toBeUndefined();
    expect(parseMetadataDocument('{"format":99,"fingerprint":"x","instances":1}\n[]')).toBeUndefined();
    expect(parseMetadataDocument(serializeMetadataDocument(doc).slice(0, -1))).toBeUndefined();
  });

  it('changes its fingerprint when an instance is added, removed, replaced or reordered', () => {
    const a = instance('1.2.3.4.1');
    const b = instance('1.2.3.4.2');
    const base = fingerprintOf([a, b]);
    expect(fingerprintOf([a, b])).toBe(base);
    expect(fingerprintOf([a])).not.toBe(base);
    expect(fingerprintOf([a, b, instance('1.2.3.4.3')])).not.toBe(base);
    expect(fingerprintOf([a, { ...b, sha256: 'other', blobKey: 'other' }])).not.toBe(base);
    expect(fingerprintOf([b, a])).not.toBe(base);
    expect(fingerprintOf([a, b], '3.1')).not.toBe(base);
    expect(fingerprintOf([a, b], '3.1')).not.toBe(fingerprintOf([a, b], '3.2'));
  });

  it('shows the patient’s current record and lists the instances whose stored values it replaced', () => {
    const name = (n: string) => ({ vr: 'PN', Value: [{ Alphabetic: n }] });
    const a = instance('1.2.3.4.1', {
      [Tag.PatientID]: { vr: 'LO', Value: ['P'] },
      [Tag.PatientName]: name('Old^Name'),
    });
    const b = instance('1.2.3.4.2', {
      [Tag.PatientID]: { vr: 'LO', Value: ['P'] },
      [Tag.PatientName]: name('New^Name'),
    });
    const module = { [Tag.PatientID]: { vr: 'LO', Value: ['P'] }, [Tag.PatientName]: name('New^Name') };
    const record = { module, patientId: 'P', issuer: '', updatedBySource: true };
    const doc = buildMetadataDocument([a, b], { version: '7.2', record });
    const rendered = JSON.parse(renderMetadata(doc.body, 'http://h/dicomweb')) as Record<string, unknown>[];
    expect(rendered.map((d) => d[Tag.PatientName])).toEqual([name('New^Name'), name('New^Name')]);
    expect(doc.coerced).toEqual([{ seriesUid: '1.2.3.4', sopUid: '1.2.3.4.1', tags: [Tag.PatientName] }]);
    // The instance whose values are the record's keeps its stored JSON text as it is.
    expect(doc.body).toContain(arrayContent(buildMetadataDocument([b]).body));
    expect(parseMetadataDocument(serializeMetadataDocument(doc))).toEqual(doc);
    // Another version of the record is another document.
    expect(doc.fingerprint).toBe(fingerprintOf([a, b], '7.2'));
    expect(buildMetadataDocument([a, b], { version: '7.3', record }).fingerprint).not.toBe(doc.fingerprint);
    expect(buildMetadataDocument([a, b]).coerced).toEqual([]);
  });

  it('gives the array content to join series into a study', () => {
    const doc = buildMetadataDocument([instance('1.2.3.4.1')]);
    expect(JSON.parse(`[${arrayContent(doc.body)},${arrayContent(doc.body)}]`)).toHaveLength(2);
  });
});
