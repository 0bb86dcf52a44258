"""Spanish (español): the same letters, the same keys and placeholders as ``en``.

A Spanish letter opens with one line in English saying what it is, so that staff, a court or a
family member who reads no Spanish knows what the reader holds.
"""

_SRO = "el Funcionario Superior de Revisión (Senior Reviewing Official, SRO)"


def _note(what: str) -> str:
    return f"English: ICE case review {{case}}, {what}, in Spanish; an English copy is on request."


TEXTS: dict[str, str] = {
    "greeting": "Estimado/a {name}:",
    "greeting.requestor": "Estimado/a solicitante:",
    "greeting.representative": "Estimado/a representante:",
    "signature": "Revisión de Casos de ICE (ICE Case Review, ICR)\nEste mensaje se envió "
    "automáticamente; no lo responda.",
    "finding.MEETS_PRIORITIES": "sigue cumpliendo las prioridades de ICE para la aplicación de "
    "la ley, la detención y la deportación",
    "finding.DOES_NOT_MEET_PRIORITIES": "no cumple las prioridades de ICE para la aplicación de "
    "la ley, la detención y la deportación",
    "finding.reviewed": "fue revisado",
    "finding.determined": "quedó resuelto",
    "deadline.by": "a más tardar el {date}",
    "deadline.none": "lo antes posible",
    "missing.subject.date_of_birth": "la fecha de nacimiento de la persona a quien se refiere "
    "el caso",
    "missing.requestor.phone": "un número de teléfono donde se pueda contactar al solicitante",
    "missing.requestor.email": "una dirección de correo electrónico válida del solicitante",
    "missing.representative.authorization": "un Formulario G-28 o un Formulario 60-001 de ICE "
    "del representante",
    "response_withheld.note": _note("notice that a response is available"),
    "response_withheld.subject": "[{case}] Hay una respuesta a su solicitud de revisión de caso",
    "response_withheld.body": "Existe una respuesta en la revisión de caso de ICE {case}. ICE "
    "solo puede enviarla a un representante con un Formulario G-28 o un Formulario 60-001 de "
    "ICE en el expediente. Envíe uno de estos formularios para recibir la respuesta.",
    "local_response.note": _note("local case review response"),
    "local_response.subject": "[{case}] Respuesta de la revisión local del caso",
    "local_response.body": "La oficina local de ERO revisó el caso {case}: el caso {finding}."
    f"\n\n{{text}}\n\nSi no está de acuerdo, puede presentar una consulta ante {_SRO} de ICE "
    "con el Número A, un número de teléfono y una dirección de correo electrónico.",
    "inquiry_received.note": _note("acknowledgment of the SRO inquiry"),
    "inquiry_received.subject": "[{case}] Consulta al SRO recibida",
    "inquiry_received.body": f"{_SRO[0].upper()}{_SRO[1:]} recibió su consulta en el caso "
    "{case}.",
    "information_missing.note": _note("request for missing information"),
    "information_missing.subject": "[{case}] Información necesaria",
    "information_missing.body": f"Para revisar el caso {{case}}, {_SRO} necesita:\n{{items}}\n\n"
    "Envíelos {deadline}; después de esa fecha la consulta se cierra por estar incompleta.",
    "withdrawn.note": _note("notice of withdrawal"),
    "withdrawn.subject": "[{case}] Solicitud de revisión de caso retirada",
    "withdrawn.body": "Su solicitud de revisión de caso de ICE {case} fue retirada y está "
    "cerrada. Puede presentar una nueva solicitud en cualquier momento.",
    "determination.note": _note("determination letter"),
    "determination.subject": "[{case}] Determinación de la revisión del caso",
    "determination.body": f"{_SRO[0].upper()}{_SRO[1:]} revisó el caso {{case}} y determinó que "
    "el caso {finding}.\n\n{text}",
    "reply.note": "English: automatic reply of the ICE SRO inquiry mailbox, in Spanish; an "
    "English copy is on request.",
    "reply.signature": "Revisión de Casos de ICE (ICE Case Review, ICR)\nEste mensaje se envió "
    "automáticamente.",
    "reply.incomplete.subject": "Su consulta al SRO está incompleta",
    "reply.incomplete.body": f"Su consulta ante {_SRO} de ICE no pudo abrirse como caso: "
    "faltan estos datos o no son válidos:\n{items}\n\nEnvíe la consulta de nuevo con todos los "
    "datos, cada uno en una línea con su etiqueta, por ejemplo:\n\n{template}",
    "reply.refused.subject": "Archivos adjuntos no aceptados",
    "reply.refused.body": "Algunos archivos adjuntos de su mensaje no fueron aceptados:\n"
    "{items}\n\nEl buzón acepta {types}, hasta 25 MB en total. Los archivos comprimidos (como "
    "los ZIP) no se abren. Envíe los documentos de nuevo en uno de estos formatos.",
    "reply.refused.item": "un archivo adjunto ({kind}): {reason}",
    "kind.pdf": "PDF",
    "kind.png": "imagen PNG",
    "kind.jpeg": "imagen JPEG",
    "kind.gif": "imagen GIF",
    "kind.tiff": "imagen TIFF",
    "kind.text": "texto sin formato",
    "kind.other": "de un tipo no aceptado",
    "reply.refused.more": "y {count} más",
    "reply.types": "PDF, imágenes PNG, JPEG, GIF o TIFF, y texto sin formato",
    "reason.type": "tipo no aceptado",
    "reason.base64": "no se pudo decodificar (base64 dañado)",
    "reason.empty": "vacío",
    "reason.mismatch": "el contenido no corresponde al tipo declarado",
    "reason.too_many": "más de {count} archivos adjuntos",
    "problem.form_item": "el Formulario G-28 o el Formulario 60-001 de ICE del representante, "
    "adjunto como PDF o imagen",
    "problem.not_valid": "no es válido",
    "problem.yes_no": "responda sí o no",
    "problem.office": "no es una de las 25 oficinas locales de ERO",
    "problem.finding": "escriba 'cumple las prioridades' o 'no cumple las prioridades'",
    "problem.language": "escriba es o en",
}
