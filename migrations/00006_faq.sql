-- +goose Up

-- The FAQ of the app, in French and Arabic, edited by admins (admin API, audited in
-- admin_audit). The app lists the active entries by category, in the order of the
-- categories below, then by position. Amounts quoted in the answers are those of the
-- allowance rules in force (IGOC 2026 edition, migration 00002): when the rules change,
-- the answers are edited too.
CREATE TABLE faq_entries (
    id                   BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category             VARCHAR(32)   NOT NULL,
    question_fr          TEXT          NOT NULL,
    answer_fr            TEXT          NOT NULL,
    question_ar          TEXT          NOT NULL,
    answer_ar            TEXT          NOT NULL,
    position             INT           NOT NULL DEFAULT 0,
    active               BOOLEAN       NOT NULL DEFAULT TRUE,
    created_at           DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_by_staff_id  BIGINT        NULL,
    KEY faq_entries_list (category, position, id),
    CONSTRAINT faq_entries_category CHECK (category IN ('account','allowances','dts','complaints','exchange_points','app')),
    CONSTRAINT faq_entries_position CHECK (position >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seed: the services of the app. Positions leave room (steps of 10) for entries added
-- in between.
INSERT INTO faq_entries (category, position, question_fr, answer_fr, question_ar, answer_ar) VALUES

-- Account and activation.
('account', 10,
 'Comment activer mon compte OC Connect ?',
 'Votre compte est créé lors de votre inscription dans un point de change, sur présentation de votre carte nationale d’identité électronique (CIN). Vous recevez ensuite par e-mail un mot de passe provisoire, valable 24 heures. Dans l’application, choisissez « Activer mon compte », puis saisissez votre numéro de CIN et ce mot de passe provisoire. L’application vous demande aussitôt de choisir votre propre mot de passe, d’au moins 12 caractères : votre compte est actif dès que ce nouveau mot de passe est enregistré.',
 'كيف أفعّل حسابي في تطبيق OC Connect؟',
 'يُنشأ حسابك عند تسجيلك لدى إحدى نقاط الصرف، بعد الإدلاء ببطاقتك الوطنية للتعريف الإلكترونية. وتتوصل بعد ذلك عبر البريد الإلكتروني بكلمة مرور مؤقتة صالحة لمدة 24 ساعة. في التطبيق، اختر «تفعيل حسابي»، ثم أدخل رقم بطاقتك الوطنية وكلمة المرور المؤقتة. ويطلب منك التطبيق فورا اختيار كلمة مرور خاصة بك لا تقل عن 12 حرفا، ويصبح حسابك مفعّلا بمجرد تسجيل كلمة المرور الجديدة.'),

('account', 20,
 'Je n’ai pas reçu l’e-mail d’activation, ou mon mot de passe provisoire a expiré : que faire ?',
 'Vérifiez d’abord le dossier des courriers indésirables (spam) de votre messagerie. Le mot de passe provisoire n’est valable que 24 heures : passé ce délai, il est refusé. Demandez-en un nouveau dans l’application, avec « Recevoir un nouveau mot de passe », en indiquant votre numéro de CIN et l’adresse e-mail donnée lors de l’inscription (une demande toutes les 5 minutes au plus), ou auprès du point de change où vous vous êtes inscrit. Le nouveau mot de passe remplace le précédent, qui ne fonctionne plus. Si l’adresse e-mail enregistrée est erronée, adressez-vous au point de change pour la faire corriger.',
 'لم أتوصل برسالة التفعيل أو انتهت صلاحية كلمة المرور المؤقتة، فماذا أفعل؟',
 'تحقق أولا من مجلد الرسائل غير المرغوب فيها في بريدك الإلكتروني. فكلمة المرور المؤقتة صالحة لمدة 24 ساعة فقط، وتُرفض بعد انقضاء هذه المدة. اطلب كلمة مرور جديدة من التطبيق عبر «الحصول على كلمة مرور جديدة»، بإدخال رقم بطاقتك الوطنية وعنوان البريد الإلكتروني المُدلى به عند التسجيل (طلب واحد كل 5 دقائق على الأكثر)، أو لدى نقطة الصرف التي سجلت فيها. وتحل كلمة المرور الجديدة محل السابقة التي لا تعود صالحة. وإذا كان عنوان البريد الإلكتروني المسجل خاطئا، فتوجه إلى نقطة الصرف لتصحيحه.'),

('account', 30,
 'Quelles sont les règles pour choisir mon mot de passe ?',
 'Votre mot de passe doit compter au moins 12 caractères (128 au plus). Aucune combinaison de majuscules, de chiffres ou de symboles n’est imposée : une phrase facile à retenir convient très bien. Les mots de passe trop courants et ceux qui contiennent votre numéro de CIN sont refusés. Ne le communiquez à personne : l’Office des Changes ne vous le demandera jamais, ni par e-mail ni par téléphone.',
 'ما هي قواعد اختيار كلمة المرور؟',
 'يجب أن تتكون كلمة المرور من 12 حرفا على الأقل و128 حرفا على الأكثر. ولا يُشترط أي مزيج من الحروف الكبيرة أو الأرقام أو الرموز، إذ يمكنك اختيار جملة يسهل عليك تذكرها. وتُرفض كلمات المرور الشائعة جدا وتلك التي تتضمن رقم بطاقتك الوطنية. لا تُطلع أحدا على كلمة المرور، فمكتب الصرف لن يطلبها منك أبدا، لا عبر البريد الإلكتروني ولا عبر الهاتف.'),

('account', 40,
 'Pourquoi mon compte est-il bloqué ?',
 'Après 5 tentatives de connexion échouées consécutives, le compte est bloqué pendant 15 minutes, pour le protéger contre les tentatives d’intrusion. Si les échecs se répètent, la durée du blocage double à chaque fois. Patientez pendant le délai indiqué, puis réessayez avec le bon mot de passe : une connexion réussie remet le compteur à zéro. Si vous ne retrouvez pas votre mot de passe, appelez le centre d’appel au 05 37 26 63 63.',
 'لماذا أُغلق حسابي مؤقتا؟',
 'بعد 5 محاولات دخول فاشلة متتالية، يُغلق الحساب لمدة 15 دقيقة لحمايته من محاولات الاختراق. وإذا تكررت المحاولات الفاشلة، تتضاعف مدة الإغلاق في كل مرة. انتظر انقضاء المدة المشار إليها ثم أعد المحاولة بكلمة المرور الصحيحة، إذ يُعيد كل دخول ناجح عدّاد المحاولات إلى الصفر. وإذا لم تتذكر كلمة المرور، فاتصل بمركز الاتصال على الرقم 05 37 26 63 63.'),

-- Allowances (figures of the rules in force: IGOC 2026 edition).
('allowances', 10,
 'Qu’est-ce que la dotation touristique et quel est son montant ?',
 'La dotation touristique permet à toute personne physique résidant au Maroc d’acheter des devises pour ses voyages personnels à l’étranger. Selon les règles en vigueur (édition 2026 de l’Instruction générale des opérations de change), elle s’élève à 100 000 MAD par personne et par année civile. Elle peut être complétée par la dotation touristique supplémentaire (DTS), calculée sur l’impôt sur le revenu. Le montant encore disponible est affiché dans l’application, rubrique « Mes dotations ».',
 'ما هو المخصص السياحي وما مبلغه؟',
 'يُمكّن المخصص السياحي كل شخص ذاتي مقيم بالمغرب من شراء العملات الأجنبية لأسفاره الشخصية إلى الخارج. ووفق القواعد الجاري بها العمل (إصدار 2026 من التعليمة العامة لعمليات الصرف)، يبلغ هذا المخصص 100.000 درهم للشخص الواحد في السنة الميلادية. ويمكن أن يُضاف إليه المخصص السياحي الإضافي المحتسب على أساس الضريبة على الدخل. ويظهر المبلغ المتبقي في التطبيق، ضمن قسم «مخصصاتي».'),

('allowances', 20,
 'Quel est le montant de l’allocation pour la scolarité à l’étranger ?',
 'L’allocation scolarité couvre les frais de séjour d’un enfant ou d’un étudiant qui poursuit ses études à l’étranger. Selon les règles en vigueur (édition 2026), elle est de 25 000 MAD par année civile. Les devises sont achetées auprès d’un point de change, qui enregistre l’opération, et le solde restant apparaît dans l’application.',
 'ما مبلغ مخصص الدراسة بالخارج؟',
 'يغطي مخصص الدراسة مصاريف إقامة الأبناء أو الطلبة الذين يتابعون دراستهم بالخارج. ووفق القواعد الجاري بها العمل (إصدار 2026)، يبلغ هذا المخصص 25.000 درهم في السنة الميلادية. وتُشترى العملات الأجنبية لدى نقطة صرف تُسجل العملية، ويظهر الرصيد المتبقي في التطبيق.'),

('allowances', 30,
 'Quelle dotation pour le Hajj et la Omra ?',
 'La dotation Hajj et Omra permet d’acheter des devises pour accomplir le pèlerinage. Selon les règles en vigueur (édition 2026), elle est de 15 000 MAD par année civile. Elle s’ajoute à la dotation touristique et ne la réduit pas.',
 'ما هو مخصص الحج والعمرة؟',
 'يُمكّن مخصص الحج والعمرة من شراء العملات الأجنبية لأداء مناسك الحج أو العمرة. ووفق القواعد الجاري بها العمل (إصدار 2026)، يبلغ هذا المخصص 15.000 درهم في السنة الميلادية. ويُضاف إلى المخصص السياحي ولا يُخصم منه.'),

('allowances', 40,
 'Quelle allocation pour des soins médicaux à l’étranger ?',
 'L’allocation soins médicaux permet d’acheter des devises pour régler des soins reçus à l’étranger. Selon les règles en vigueur (édition 2026), elle est de 30 000 MAD par année civile. Présentez au point de change les justificatifs médicaux qui vous sont demandés.',
 'ما هو مخصص العلاج بالخارج؟',
 'يُمكّن مخصص العلاج من شراء العملات الأجنبية لتغطية مصاريف العلاج بالخارج. ووفق القواعد الجاري بها العمل (إصدار 2026)، يبلغ هذا المخصص 30.000 درهم في السنة الميلادية. ويتعين الإدلاء لدى نقطة الصرف بالوثائق الطبية المطلوبة.'),

('allowances', 50,
 'Comment le solde de mes dotations est-il mis à jour ?',
 'Chaque achat de devises dans un point de change est enregistré par l’agent au moment de la vente, sur la dotation concernée : le solde affiché dans l’application diminue aussitôt, et l’opération apparaît dans l’historique avec sa date, son montant en dirhams et la devise achetée. Une DTS approuvée apparaît comme un crédit pour l’année concernée. Les dotations retrouvent leur montant plein chaque 1er janvier. Si une opération vous paraît erronée, déposez une réclamation dans la catégorie « Solde des dotations ».',
 'كيف يتم تحيين رصيد مخصصاتي؟',
 'يُسجل عون نقطة الصرف كل عملية شراء للعملات الأجنبية لحظة البيع على المخصص المعني، فينخفض الرصيد الظاهر في التطبيق فورا، وتظهر العملية في السجل بتاريخها ومبلغها بالدرهم والعملة المشتراة. ويظهر المخصص السياحي الإضافي، بعد قبوله، كمبلغ مضاف برسم السنة المعنية. وتعود المخصصات إلى مبلغها الكامل في فاتح يناير من كل سنة. وإذا بدت لك عملية ما خاطئة، فقدّم شكاية ضمن صنف «رصيد المخصصات».'),

-- The supplementary tourist allowance (DTS).
('dts', 10,
 'Qu’est-ce que la dotation touristique supplémentaire (DTS) ?',
 'La DTS complète la dotation touristique de 100 000 MAD pour les contribuables. Selon les règles en vigueur (édition 2026), elle est égale à 30 % de l’impôt sur le revenu (IR) payé au titre de l’année précédente, et le total de la dotation touristique et de la DTS ne peut dépasser 500 000 MAD par année civile, soit une DTS de 400 000 MAD au plus. Sans impôt sur le revenu, il n’y a pas de DTS.',
 'ما هو المخصص السياحي الإضافي (DTS)؟',
 'يُكمل المخصص السياحي الإضافي المخصصَ السياحي البالغ 100.000 درهم لفائدة الملزمين بالضريبة. ووفق القواعد الجاري بها العمل (إصدار 2026)، يساوي 30 في المائة من الضريبة على الدخل المؤداة برسم السنة السابقة، على ألا يتجاوز مجموع المخصص السياحي والمخصص الإضافي 500.000 درهم في السنة الميلادية، أي 400.000 درهم كحد أقصى للمخصص الإضافي. ولا يُمنح أي مخصص إضافي في غياب الضريبة على الدخل.'),

('dts', 20,
 'Comment la DTS est-elle calculée ?',
 'DTS = 30 % de l’IR de l’année précédente, dans la limite de 500 000 MAD moins la dotation touristique de 100 000 MAD (règles en vigueur, édition 2026), arrondie au dirham inférieur. Exemple : pour un IR 2025 de 200 000 MAD, la DTS 2026 est de 60 000 MAD, soit 160 000 MAD de dotation touristique au total. Pour un IR de 1 500 000 MAD, 30 % donneraient 450 000 MAD, mais la DTS est plafonnée à 400 000 MAD. Les règles appliquées sont celles de l’année de la DTS : sous l’édition 2024, appliquée en 2024 et 2025, le plafond total était de 300 000 MAD.',
 'كيف يُحتسب المخصص السياحي الإضافي؟',
 'المخصص الإضافي يساوي 30 في المائة من الضريبة على الدخل برسم السنة السابقة، في حدود 500.000 درهم ناقص المخصص السياحي البالغ 100.000 درهم (القواعد الجاري بها العمل، إصدار 2026)، مع التقريب إلى الدرهم الأدنى. مثال: إذا بلغت ضريبتك على الدخل برسم سنة 2025 ما قدره 200.000 درهم، فإن مخصصك الإضافي لسنة 2026 هو 60.000 درهم، أي 160.000 درهم كمخصص سياحي إجمالي. وإذا بلغت الضريبة 1.500.000 درهم، فإن نسبة 30 في المائة تعطي 450.000 درهم، لكن المخصص الإضافي يُسقّف في 400.000 درهم. وتُطبق قواعد سنة المخصص: ففي إطار إصدار 2024، المطبق في سنتي 2024 و2025، كان السقف الإجمالي 300.000 درهم.'),

('dts', 30,
 'Comment simuler puis demander ma DTS ?',
 'Dans l’application, rubrique « DTS », le simulateur calcule le montant à partir de l’année fiscale et du montant de votre IR, sans engagement et sans connexion. Pour faire la demande, connectez-vous, puis indiquez l’année fiscale, le montant de l’IR et la référence de l’attestation de revenus (ou d’IR) délivrée par la Direction générale des impôts. Une seule demande en attente ou approuvée est possible par année. Vous pouvez annuler une demande tant qu’elle est en attente.',
 'كيف أقوم بمحاكاة المخصص الإضافي ثم طلبه؟',
 'في التطبيق، ضمن قسم «المخصص الإضافي»، يحتسب المُحاكي المبلغ انطلاقا من السنة الجبائية ومبلغ الضريبة على الدخل، دون أي التزام ودون الحاجة إلى تسجيل الدخول. ولتقديم الطلب، سجّل دخولك ثم أدخل السنة الجبائية ومبلغ الضريبة على الدخل ومرجع شهادة الدخل (أو شهادة الضريبة على الدخل) المسلّمة من طرف المديرية العامة للضرائب. ولا يُقبل سوى طلب واحد قيد الدراسة أو مقبول في السنة، ويمكنك إلغاء طلبك ما دام قيد الدراسة.'),

('dts', 40,
 'Qui examine ma demande de DTS et quand est-elle créditée ?',
 'Chaque demande est examinée par un gestionnaire de l’Office des Changes, qui vérifie l’attestation et le montant d’IR déclaré, puis approuve ou rejette la demande. Vous suivez son état dans l’application (en attente, approuvée, rejetée ou annulée), avec le motif en cas de rejet. Une fois approuvée, la DTS est créditée sur vos dotations de l’année concernée, et elle est définitive. Si vous contestez une décision, déposez une réclamation dans la catégorie « Dotation touristique supplémentaire (DTS) ».',
 'من يدرس طلب المخصص الإضافي ومتى يُضاف إلى رصيدي؟',
 'يدرس كل طلب موظف مختص بمكتب الصرف، يتحقق من الشهادة ومن مبلغ الضريبة المصرح به، ثم يقبل الطلب أو يرفضه. ويمكنك تتبع وضعية طلبك في التطبيق (قيد الدراسة أو مقبول أو مرفوض أو ملغى)، مع بيان سبب الرفض عند الاقتضاء. وبعد قبوله، يُضاف المخصص الإضافي إلى مخصصاتك برسم السنة المعنية ويصبح نهائيا. وإذا كنت تعترض على القرار، فقدّم شكاية ضمن صنف «المخصص السياحي الإضافي».'),

-- Complaints.
('complaints', 10,
 'Comment déposer une réclamation ?',
 'Dans l’application, ouvrez « Réclamations », choisissez la catégorie (service d’un point de change, solde des dotations, DTS, accès à l’application ou autre), puis décrivez votre demande. La réclamation reçoit aussitôt une référence unique, de la forme REC-2026-000123, et un accusé de réception vous est envoyé par e-mail. Conservez cette référence : elle permet de suivre votre dossier et de le citer au centre d’appel.',
 'كيف أقدم شكاية؟',
 'في التطبيق، افتح قسم «الشكايات»، واختر الصنف (خدمة نقطة الصرف، رصيد المخصصات، المخصص السياحي الإضافي، الولوج إلى التطبيق أو غير ذلك)، ثم صِف طلبك. وتحصل الشكاية فورا على مرجع فريد على شكل REC-2026-000123، ويُرسل إليك إشعار بالتوصل عبر البريد الإلكتروني. احتفظ بهذا المرجع، فهو يتيح لك تتبع ملفك والإشارة إليه عند الاتصال بمركز الاتصال.'),

('complaints', 20,
 'Dans quels délais ma réclamation est-elle traitée ?',
 'Un accusé de réception vous est adressé dès le dépôt. Une première réponse vous est apportée dans un délai de 2 jours ouvrables (du lundi au vendredi, hors jours fériés), et la réclamation est résolue dans un délai de 60 jours. Lorsque le gestionnaire vous demande une information, ces délais sont suspendus jusqu’à votre réponse. Si un délai n’est pas tenu, votre dossier est transmis automatiquement à un superviseur.',
 'ما هي آجال معالجة شكايتي؟',
 'يُوجَّه إليك إشعار بالتوصل فور تقديم الشكاية. ويُقدَّم إليك أول رد داخل أجل يومي عمل (من الاثنين إلى الجمعة، باستثناء أيام العطل الرسمية)، وتُعالج الشكاية داخل أجل 60 يوما. وعندما يطلب منك الموظف المكلف معلومة إضافية، تتوقف هذه الآجال إلى حين جوابك. وإذا لم يُحترم أحد الآجال، يُحال ملفك تلقائيا على مشرف.'),

('complaints', 30,
 'Comment suivre, compléter ou rouvrir ma réclamation ?',
 'L’état de votre réclamation est consultable à tout moment dans l’application : déposée, en file d’attente, prise en charge, en attente de votre réponse, résolue, rejetée ou clôturée. Vous y lisez les messages du gestionnaire et vous pouvez lui répondre. Si la solution ne vous convient pas, vous pouvez rouvrir la réclamation dans les 14 jours qui suivent sa résolution. Vous êtes ensuite invité à noter votre satisfaction : votre avis nous aide à améliorer le service.',
 'كيف أتتبع شكايتي أو أكملها أو أعيد فتحها؟',
 'يمكنك الاطلاع على وضعية شكايتك في أي وقت عبر التطبيق: مُقدَّمة، في قائمة الانتظار، قيد المعالجة، في انتظار جوابك، معالَجة، مرفوضة أو مغلقة. وتجد فيه رسائل الموظف المكلف ويمكنك الرد عليها. وإذا لم يُرضك الحل المقترح، يمكنك إعادة فتح الشكاية داخل أجل 14 يوما من تاريخ معالجتها. ثم تُدعى إلى تقييم مدى رضاك، فرأيك يساعدنا على تحسين الخدمة.'),

('complaints', 40,
 'Que faire si la réponse à ma réclamation ne me satisfait pas ?',
 'Vous pouvez d’abord rouvrir la réclamation dans l’application, dans les 14 jours qui suivent sa résolution, en expliquant ce qui reste à régler. Passé ce délai, déposez une nouvelle réclamation. Vous pouvez aussi saisir le portail national des réclamations, chikaya.ma, qui transmet votre réclamation à l’administration concernée et en assure le suivi.',
 'ماذا أفعل إذا لم يُرضني الرد على شكايتي؟',
 'يمكنك أولا إعادة فتح الشكاية عبر التطبيق داخل أجل 14 يوما من تاريخ معالجتها، مع توضيح ما لم تتم تسويته. وبعد انقضاء هذا الأجل، قدّم شكاية جديدة. كما يمكنك اللجوء إلى البوابة الوطنية للشكايات chikaya.ma التي تحيل شكايتك على الإدارة المعنية وتتتبع معالجتها.'),

-- Exchange points.
('exchange_points', 10,
 'Comment trouver le point de change le plus proche ?',
 'Dans l’application, la rubrique « Points de change » présente, sur une carte et dans une liste, les points de change agréés (banques et bureaux de change) les plus proches de vous, avec leur adresse. Pour les classer par distance, autorisez l’application à accéder à votre position, ou recherchez par ville.',
 'كيف أجد أقرب نقطة صرف؟',
 'في التطبيق، يعرض قسم «نقاط الصرف»، على خريطة وفي قائمة، نقاطَ الصرف المعتمدة (البنوك ومكاتب الصرف) الأقرب إليك مع عناوينها. ولترتيبها حسب المسافة، اسمح للتطبيق بالوصول إلى موقعك، أو ابحث حسب المدينة.'),

('exchange_points', 20,
 'Que dois-je présenter au point de change ?',
 'Munissez-vous de votre carte nationale d’identité (CIN) : elle est exigée pour l’inscription à OC Connect et pour chaque achat de devises imputé sur vos dotations. L’agent enregistre la vente sur la dotation choisie, et le solde de l’application est mis à jour aussitôt. Selon la dotation, d’autres pièces peuvent être demandées, comme le passeport, une attestation de scolarité ou des documents médicaux. Vérifiez le bordereau de l’opération avant de partir.',
 'ما الوثائق التي يجب الإدلاء بها لدى نقطة الصرف؟',
 'احرص على إحضار بطاقتك الوطنية للتعريف، فهي مطلوبة عند التسجيل في OC Connect وعند كل عملية شراء للعملات تُخصم من مخصصاتك. ويُسجل العون عملية البيع على المخصص المختار، ويُحيَّن الرصيد في التطبيق فورا. وحسب نوع المخصص، قد تُطلب وثائق أخرى، كجواز السفر أو شهادة التمدرس أو الوثائق الطبية. وتحقق من وصل العملية قبل المغادرة.'),

('exchange_points', 30,
 'Un achat de devises n’apparaît pas dans l’application : que faire ?',
 'Les ventes sont enregistrées au moment de l’opération. Si un achat n’apparaît pas, ou si son montant est erroné, gardez le bordereau et déposez une réclamation dans la catégorie « Service d’un point de change » ou « Solde des dotations », en précisant la date, le point de change et le montant.',
 'عملية شراء عملات لا تظهر في التطبيق، فماذا أفعل؟',
 'تُسجل عمليات البيع لحظة إجرائها. وإذا لم تظهر عملية شراء أو كان مبلغها خاطئا، فاحتفظ بوصل العملية وقدّم شكاية ضمن صنف «خدمة نقطة الصرف» أو «رصيد المخصصات»، مع تحديد التاريخ ونقطة الصرف والمبلغ.'),

-- The app, data protection, contacts.
('app', 10,
 'Quels services propose l’application OC Connect ?',
 'OC Connect, l’application de l’Office des Changes, vous permet de consulter le solde de vos dotations en devises et l’historique de vos opérations, de simuler et de demander la dotation touristique supplémentaire (DTS), de déposer et de suivre vos réclamations, de trouver le point de change le plus proche et de consulter cette foire aux questions, en français ou en arabe.',
 'ما الخدمات التي يقدمها تطبيق OC Connect؟',
 'يتيح لك تطبيق OC Connect التابع لمكتب الصرف الاطلاع على رصيد مخصصاتك من العملات الأجنبية وسجل عملياتك، ومحاكاة المخصص السياحي الإضافي وطلبه، وتقديم شكاياتك وتتبعها، وإيجاد أقرب نقطة صرف، والاطلاع على هذه الأسئلة الشائعة، باللغة العربية أو الفرنسية.'),

('app', 20,
 'Comment mes données personnelles sont-elles protégées ?',
 'L’Office des Changes traite vos données (identité, numéro de CIN, coordonnées, opérations sur vos dotations, demandes de DTS et réclamations) uniquement pour vous rendre les services de l’application, conformément à la loi n° 09-08 relative à la protection des personnes physiques à l’égard du traitement des données à caractère personnel. Les échanges avec l’application sont chiffrés et votre mot de passe n’est jamais conservé en clair. Vous pouvez exercer vos droits d’accès, de rectification et d’opposition en écrivant à occonnect@oc.gov.ma.',
 'كيف تتم حماية معطياتي الشخصية؟',
 'يعالج مكتب الصرف معطياتك (الهوية ورقم البطاقة الوطنية ومعلومات الاتصال والعمليات المسجلة على مخصصاتك وطلبات المخصص الإضافي والشكايات) لغرض وحيد هو تقديم خدمات التطبيق، وذلك طبقا للقانون رقم 09.08 المتعلق بحماية الأشخاص الذاتيين تجاه معالجة المعطيات ذات الطابع الشخصي. وتكون المبادلات مع التطبيق مشفرة، ولا تُحفظ كلمة المرور أبدا في صيغتها الأصلية. ويمكنك ممارسة حقوقك في الولوج والتصحيح والتعرض بمراسلة occonnect@oc.gov.ma.'),

('app', 30,
 'Pourquoi dois-je me reconnecter ?',
 'Pour votre sécurité, la session se ferme après 30 minutes sans activité et, en tout état de cause, 12 heures après la connexion. La déconnexion ferme la session de l’appareil utilisé, et le changement de mot de passe ferme aussi celles de vos autres appareils.',
 'لماذا يجب عليّ تسجيل الدخول من جديد؟',
 'حفاظا على أمنك، تنتهي الجلسة بعد 30 دقيقة من عدم النشاط، وفي جميع الأحوال بعد 12 ساعة من تسجيل الدخول. ويُنهي تسجيل الخروج الجلسة على الجهاز المستعمل، كما يُنهي تغيير كلمة المرور الجلسات المفتوحة على أجهزتك الأخرى.'),

('app', 40,
 'Comment contacter l’Office des Changes ?',
 'Pour toute question sur l’application ou sur vos dotations, écrivez à occonnect@oc.gov.ma ou appelez le centre d’appel au 05 37 26 63 63. Pour une réclamation, utilisez de préférence la rubrique « Réclamations » de l’application : elle vous donne une référence et des délais de réponse garantis. Ne communiquez jamais votre mot de passe, ni par e-mail ni par téléphone.',
 'كيف أتصل بمكتب الصرف؟',
 'لأي سؤال حول التطبيق أو مخصصاتك، راسلنا على العنوان occonnect@oc.gov.ma أو اتصل بمركز الاتصال على الرقم 05 37 26 63 63. ولتقديم شكاية، يُفضَّل استعمال قسم «الشكايات» في التطبيق، إذ يمنحك مرجعا وآجالا محددة للرد. ولا تُطلع أحدا أبدا على كلمة المرور، لا عبر البريد الإلكتروني ولا عبر الهاتف.');

-- +goose Down
DROP TABLE faq_entries;
